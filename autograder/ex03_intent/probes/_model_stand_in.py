"""What ``import intent_cnn_<name>`` gives the script run when the student's model file does not import
(charged by the model checks, not again by the script run)."""

from _italic_support import StandInModel as IntentCNN  # noqa: F401

INPUT_KIND = "log_mel"

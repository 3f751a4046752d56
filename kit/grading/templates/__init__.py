"""jinja2 templates of the HTML pages (kit/grading/html.py).

A regular package, not a bare folder: setuptools would map a bare folder as a namespace
package in the editable install, whose path hook then sits on every sys.path of the venv.
"""

# Mira's part 3.1: the feature files of one split, and the three loaders.
import os

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class MyDataset(Dataset):
    def __init__(self, split_folder):
        names = [n for n in os.listdir(split_folder) if n.endswith(".npz")]
        names.sort()
        self.paths = [os.path.join(split_folder, n) for n in names]

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        npz = np.load(self.paths[i], allow_pickle=False)
        spectrogram = npz["features"].astype(np.float32)
        target = int(npz["label"])
        npz.close()
        return torch.tensor(spectrogram), torch.tensor(target, dtype=torch.long)


def get_data_loaders(root, batch_size=16):
    loaders = []
    for split in ["training", "validation", "testing"]:
        data = MyDataset(os.path.join(root, split))
        loaders.append(DataLoader(data, batch_size=batch_size, shuffle=(split == "training")))
    return tuple(loaders)

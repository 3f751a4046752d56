# Part 3.1 (Tom)
import os

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


def get_data_loaders(root, batch_size=16):
    result = []
    for part in ["training", "validation", "testing"]:
        ds = MyDataset(os.path.join(root, part))
        result.append(DataLoader(ds, batch_size=batch_size, shuffle=(part == "training")))
    return tuple(result)


class MyDataset(Dataset):
    def __init__(self, split_folder):
        files = [f for f in os.listdir(split_folder) if f.endswith(".npz")]
        files.sort()
        self.file_list = [os.path.join(split_folder, f) for f in files]

    def __getitem__(self, idx):
        archive = np.load(self.file_list[idx], allow_pickle=False)
        mel = archive["features"].astype(np.float32)
        cls = int(archive["label"])
        archive.close()
        return torch.tensor(mel), torch.tensor(cls, dtype=torch.long)

    def __len__(self):
        return len(self.file_list)

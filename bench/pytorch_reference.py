"""PyTorch side of `deno task bench train`: the same networks, one training step (forward,
backward, Adam) on a batch of 64, one thread, for the shapes given as arguments
(name=FRAMESxDIMS, or seed). Prints JSON seconds per batch. Run with Debian's
python3 and python3-torch; the bench skips it when torch is missing."""
import json
import sys
import time

import torch
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(1)


class Temporal(nn.Module):
    """buildTemporalModel: 3 x (Conv1D k5 no bias, BN, ReLU), max-pool 2 after the first two,
    mean and max over time, dropout, dense 64 ReLU, dropout, dense 8."""

    def __init__(self, dims, filters=(64, 128, 128), classes=8):
        super().__init__()
        layers, c = [], dims
        for i, f in enumerate(filters):
            layers += [nn.Conv1d(c, f, 5, padding=2, bias=False),
                       nn.BatchNorm1d(f, eps=1e-3, momentum=0.01), nn.ReLU()]
            if i < len(filters) - 1:
                layers.append(nn.MaxPool1d(2, 2, ceil_mode=True))
            c = f
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(2 * c, 64), nn.ReLU(),
                                  nn.Dropout(0.3), nn.Linear(64, classes))

    def forward(self, x):  # x: [batch, frames, dims], channels last as in tfjs
        h = self.body(x.transpose(1, 2))
        return self.head(torch.cat([h.mean(2), h.amax(2)], 1))


class Seed(nn.Module):
    """buildSeedModel: 4 x (Conv1D k5 same, ReLU, MaxPool 5 stride 2), dropout, dense 32, dense 8."""

    def __init__(self, length=162, classes=8):
        super().__init__()
        layers, c, n = [], 1, length
        for i, f in enumerate((256, 256, 128, 64)):
            layers += [nn.Conv1d(c, f, 5, padding=2), nn.ReLU(), nn.MaxPool1d(5, 2, padding=2)]
            if i == 2:
                layers.append(nn.Dropout(0.2))
            c, n = f, (n + 1) // 2
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(c * n, 32), nn.ReLU(), nn.Dropout(0.3),
                                  nn.Linear(32, classes))

    def forward(self, x):
        return self.head(self.body(x.transpose(1, 2)))


def seconds_per_batch(model, shape, blocks=5, steps=12):
    """Best block of 12 steps (after one block of warm-up), as the Deno side takes its best epoch
    of 12 batches: on a shared machine the best block is the least disturbed one."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(64, *shape)
    y = torch.randint(0, 8, (64,))
    best = float("inf")
    for block in range(blocks + 1):
        t0 = time.perf_counter()
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        if block > 0:
            best = min(best, (time.perf_counter() - t0) / steps)
    return best


# Shapes to time: name=frames x dims for a temporal network, or "seed"; the bench passes the
# default members' shapes (the three below when run by hand).
shapes = sys.argv[1:] or ["temporal=108x40", "temporalMfccDelta=108x60", "seed"]
out = {"version": torch.__version__}
for spec in shapes:
    name, _, shape = spec.partition("=")
    if name == "seed":
        out[name] = seconds_per_batch(Seed(), (162, 1))
    else:
        frames, dims = (int(v) for v in shape.split("x"))
        out[name] = seconds_per_batch(Temporal(dims), (frames, dims))
print(json.dumps(out))

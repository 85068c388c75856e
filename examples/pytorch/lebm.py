"""PyTorch modules of lebm's models, loaded from a directory written by `lebm export`.

    import lebm
    model = lebm.load("export_dir")          # config.json + model.safetensors (+ tokenizer.json)
    model.log_px(z, inputs, targets, mask)   # text: log p_beta(x|z) per sentence
    model.log_px(z, x)                       # images: -||x - g(z)||^2 / (2 sigma^2) per image
    model.prior(z)                           # f_alpha(z); the prior is p(z) ~ exp(f_alpha(z)) N(0, I)

The tensors are named and laid out as these modules hold them (nn.Embedding, nn.LSTM with PyTorch's gate
order i f g o, nn.Linear [out, in], nn.ConvTranspose2d [in, out, kh, kw]), so `load_state_dict(...,
strict=True)` checks every name and shape. model.safetensors is read with numpy alone (8-byte header
length, JSON header, raw little-endian data); no `safetensors` package is needed.

Command line (used by lebm's tests):
    python3 lebm.py parity DIR INPUT.json     prints {"log_px": [...], "f": [...]} for INPUT's z and data (and
                                              the inference network's "mu" and "logvar" where the model has one)
    python3 lebm.py random DIR SEED           writes DIR/model.safetensors for DIR/config.json, random weights
"""

import json
import os
import struct
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


def read_safetensors(path):
    """Reads a safetensors file of F32 tensors into a dict of torch tensors."""
    with open(path, "rb") as f:
        b = f.read()
    (n,) = struct.unpack("<Q", b[:8])
    header = json.loads(b[8 : 8 + n])
    data = b[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {info['dtype']}, expected F32")
        start, end = info["data_offsets"]
        arr = np.frombuffer(data[start:end], dtype="<f4").reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def write_safetensors(path, tensors, metadata=None):
    """Writes a dict of float32 tensors as a safetensors file (numpy only)."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        arr = tensors[name].detach().cpu().numpy().astype("<f4")
        raw = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


class EnergyPrior(nn.Module):
    """f_alpha: d -> nef -> nef -> 1, LeakyReLU(0.2); zero for the gaussian prior (no parameters)."""

    def __init__(self, cfg):
        super().__init__()
        self.ebm = cfg["prior"] == "ebm"
        if self.ebm:
            d, w = cfg["z_dim"], cfg["ebm_width"]
            self.fc1, self.fc2, self.fc3 = nn.Linear(d, w), nn.Linear(w, w), nn.Linear(w, 1)

    def forward(self, z):
        if not self.ebm:
            return torch.zeros(z.shape[0], dtype=z.dtype, device=z.device)
        h = F.leaky_relu(self.fc1(z), 0.2)
        h = F.leaky_relu(self.fc2(h), 0.2)
        return self.fc3(h).squeeze(-1)


class TextDecoder(nn.Module):
    """The LSTM decoder: h_0 = tanh(init_h(z)), c_0 = 0, input [e_t ; z] at every step, out = logits."""

    def __init__(self, vocab, cfg):
        super().__init__()
        E, H, d = cfg["embed_dim"], cfg["hidden_dim"], cfg["z_dim"]
        self.embedding = nn.Embedding(vocab, E)
        self.lstm = nn.LSTM(E + d, H, batch_first=True)
        self.init_h = nn.Linear(d, H)
        self.out = nn.Linear(H, vocab)

    def log_px(self, z, inputs, targets, mask):
        """sum_t mask[t] log p(targets[t] | inputs[<=t], z) per row; inputs, targets [N, T] long, mask [N, T]."""
        N, T = inputs.shape
        h0 = torch.tanh(self.init_h(z)).unsqueeze(0)
        x = torch.cat([self.embedding(inputs), z.unsqueeze(1).expand(N, T, z.shape[1])], dim=-1)
        h, _ = self.lstm(x, (h0, torch.zeros_like(h0)))
        logp = F.log_softmax(self.out(h), dim=-1)
        return (logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1) * mask).sum(-1)


class TextEncoder(nn.Module):
    """The inference network q_phi(z|x): an LSTM over the sentence's tokens after <bos>, its last state."""

    def __init__(self, vocab, cfg):
        super().__init__()
        E, H, d = cfg["embed_dim"], cfg.get("encoder_hidden") or cfg["hidden_dim"], cfg["z_dim"]
        self.embedding = nn.Embedding(vocab, E)
        self.lstm = nn.LSTM(E, H, batch_first=True)
        self.mu, self.logvar = nn.Linear(H, d), nn.Linear(H, d)

    def forward(self, targets, mask):
        h, _ = self.lstm(self.embedding(targets))
        last = mask.sum(-1).long().clamp(min=1) - 1
        h = h[torch.arange(h.shape[0]), last]
        return self.mu(h), self.logvar(h)


class TextModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.decoder = TextDecoder(cfg["vocab"], cfg)
        self.prior = EnergyPrior(cfg)
        if cfg.get("posterior_init") == "encoder":
            self.encoder = TextEncoder(cfg["vocab"], cfg)
        if cfg.get("bow_weight", 0) > 0:
            self.bow = nn.Linear(cfg["z_dim"], cfg["vocab"])
        if cfg.get("prior_init") == "synthesis":
            self.synthesis = Synthesis(cfg["z_dim"])

    def log_px(self, z, inputs, targets, mask):
        return self.decoder.log_px(z, inputs, targets, mask)


class Synthesis(nn.Module):
    """q_psi(z) = N(mean, exp(log_var)), the prior chain's start."""

    def __init__(self, d):
        super().__init__()
        self.mean, self.log_var = nn.Parameter(torch.zeros(d)), nn.Parameter(torch.zeros(d))


def image_layers(cfg):
    """The transposed convolutions (K, S, P, C_out) of a generator layout (image.Config.Layers)."""
    g, C = cfg["ngf"], cfg["channels"]
    return {
        "svhn": [(4, 1, 0, 8 * g), (4, 2, 1, 4 * g), (4, 2, 1, 2 * g), (4, 2, 1, C)],
        "cifar10": [(8, 1, 0, 8 * g), (4, 2, 1, 4 * g), (4, 2, 1, 2 * g), (3, 1, 1, C)],
        "celeba": [(4, 1, 0, 8 * g), (4, 2, 1, 4 * g), (4, 2, 1, 2 * g), (4, 2, 1, g), (4, 2, 1, C)],
        "mnist": [(4, 1, 0, 4 * g), (3, 2, 1, 2 * g), (4, 2, 1, g), (4, 2, 1, C)],
        "embedded": [(4, 1, 0, 4 * g), (4, 2, 1, 2 * g), (4, 2, 1, C)],
    }[cfg["arch"]]


class ImageGenerator(nn.Module):
    """g_beta: z as a 1x1 image of d channels, ConvTranspose2d layers, LeakyReLU(0.1) between, tanh last."""

    def __init__(self, cfg):
        super().__init__()
        cin, layers = cfg["z_dim"], []
        for k, s, p, cout in image_layers(cfg):
            layers.append(nn.ConvTranspose2d(cin, cout, k, s, p))
            cin = cout
        self.layers = nn.ModuleList(layers)

    def forward(self, z):
        h = z.reshape(z.shape[0], -1, 1, 1)
        for i, layer in enumerate(self.layers):
            h = layer(h)
            h = torch.tanh(h) if i == len(self.layers) - 1 else F.leaky_relu(h, 0.1)
        return h


class ImageModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.generator = ImageGenerator(cfg)
        self.prior = EnergyPrior(cfg)
        if cfg.get("prior_init") == "synthesis":
            self.synthesis = Synthesis(cfg["z_dim"])

    def log_px(self, z, x):
        """-||x - g(z)||^2 / (2 sigma^2) per image (the constant left out, as lebm does); x [N, C, H, W]."""
        return -((x - self.generator(z)) ** 2).sum((1, 2, 3)) / (2 * self.cfg["sigma"] ** 2)


def build(cfg):
    return {"text": TextModel, "image": ImageModel}[cfg["family"]](cfg)


def load(directory):
    """The model of an export directory, its state_dict loaded strictly."""
    with open(os.path.join(directory, "config.json")) as f:
        cfg = json.load(f)
    model = build(cfg)
    model.load_state_dict(read_safetensors(os.path.join(directory, "model.safetensors")), strict=True)
    return model.eval()


def _parity(directory, input_path):
    model = load(directory)
    with open(input_path) as f:
        inp = json.load(f)
    z = torch.tensor(inp["z"], dtype=torch.float32)
    with torch.no_grad():
        out = {}
        if model.cfg["family"] == "text":
            targets, mask = torch.tensor(inp["targets"]), torch.tensor(inp["mask"], dtype=torch.float32)
            lp = model.log_px(z, torch.tensor(inp["inputs"]), targets, mask)
            if hasattr(model, "encoder"):
                mu, logvar = model.encoder(targets, mask)
                out["mu"], out["logvar"] = mu.tolist(), logvar.tolist()
        else:
            lp = model.log_px(z, torch.tensor(inp["x"], dtype=torch.float32))
        out["log_px"], out["f"] = lp.tolist(), model.prior(z).tolist()
    json.dump(out, sys.stdout)


def _random(directory, seed):
    with open(os.path.join(directory, "config.json")) as f:
        cfg = json.load(f)
    torch.manual_seed(seed)
    model = build(cfg)
    write_safetensors(os.path.join(directory, "model.safetensors"), model.state_dict(), {"format": "pt"})


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "parity":
        _parity(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "random":
        _random(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)

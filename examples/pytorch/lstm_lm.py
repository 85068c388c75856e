"""A plain PyTorch LSTM language model of lebm's decoder's size, for learning-curve comparisons with
`lebm lm train` and the latent models of `lebm reproduce` (README, "Reproducing the paper").

    /usr/bin/python3 lstm_lm.py CORPUS_DIR --iterations 3000 --every 500 [--beta1 0.5] [--seed 1] > curve.jsonl

The model and data follow lebm's: the vocabulary is the training split's most frequent words (ties in
alphabetical order, as corpora.BuildVocab) up to --vocab-size including <pad>, <unk>, <bos>, <eos>;
sentences are whole; a batch is --batch sentences of one length bucket (multiples of 8 time steps, as
lebm's); embedding --embed, one LSTM layer of --hidden (PyTorch's: h_0 = 0 and two biases, where lebm's
LM is its decoder at z = 0, h_0 = tanh(b_h)), initialised Unif(-0.1, 0.1), Adam with --lr, betas
(--beta1, 0.999) (lebm's default beta1 is 0.5), the gradient clipped to norm 5. Every --every
iterations it prints one JSON line: the exact NLL in nats per sentence of the first --valid-sentences
validation sentences (words + </s> predicted), their PPL, and the wall-clock seconds of training so far
(scoring excluded).
"""

import argparse
import collections
import json
import math
import os
import random
import time

import torch
from torch import nn

PAD, UNK, BOS, EOS = 0, 1, 2, 3
BUCKET = 8


def read(path):
    with open(path) as f:
        return [line.split() for line in f if line.strip()]


def vocabulary(train, size):
    counts = collections.Counter(w for s in train for w in s)
    words = sorted(counts, key=lambda w: (-counts[w], w))
    words = [w for w in words if w not in ("<pad>", "<unk>", "<bos>", "<eos>")][: size - 4]
    return {w: i + 4 for i, w in enumerate(words)}


def encode(sents, vocab):
    return [[vocab.get(w, UNK) for w in s] for s in sents]


def bucket(n):  # time steps for n inputs (<bos> + words), as lebm's corpora.BucketLen with no limit
    return (n + BUCKET - 1) // BUCKET * BUCKET


def batch(examples, T):
    inputs = torch.full((len(examples), T), PAD, dtype=torch.long)
    targets = torch.full((len(examples), T), PAD, dtype=torch.long)
    mask = torch.zeros(len(examples), T)
    for r, ex in enumerate(examples):
        seq = [BOS] + ex
        inputs[r, : len(seq)] = torch.tensor(seq)
        targets[r, : len(ex) + 1] = torch.tensor(ex + [EOS])
        mask[r, : len(ex) + 1] = 1
    return inputs, targets, mask


class LM(nn.Module):
    def __init__(self, vocab, embed, hidden):
        super().__init__()
        self.emb = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)
        for p in self.parameters():
            nn.init.uniform_(p, -0.1, 0.1)

    def log_px(self, inputs, targets, mask):  # [N] sum over tokens of log p
        h, _ = self.lstm(self.emb(inputs))
        lp = torch.log_softmax(self.out(h), -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        return (lp * mask).sum(1)


def main():
    a = argparse.ArgumentParser()
    a.add_argument("corpus")
    a.add_argument("--iterations", type=int, default=3000)
    a.add_argument("--every", type=int, default=500)
    a.add_argument("--valid-sentences", type=int, default=500)
    a.add_argument("--vocab-size", type=int, default=10004)
    a.add_argument("--embed", type=int, default=128)
    a.add_argument("--hidden", type=int, default=512)
    a.add_argument("--batch", type=int, default=32)
    a.add_argument("--lr", type=float, default=1e-3)
    a.add_argument("--beta1", type=float, default=0.5)
    a.add_argument("--seed", type=int, default=1)
    o = a.parse_args()
    random.seed(o.seed)
    torch.manual_seed(o.seed)
    train = read(os.path.join(o.corpus, "train.txt"))
    vocab = vocabulary(train, o.vocab_size)
    train = encode(train, vocab)
    valid = encode(read(os.path.join(o.corpus, "valid.txt"))[: o.valid_sentences], vocab)
    by_bucket = collections.defaultdict(list)
    for ex in train:
        by_bucket[bucket(len(ex) + 1)].append(ex)
    model = LM(len(vocab) + 4, o.embed, o.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=o.lr, betas=(o.beta1, 0.999))

    def epoch():
        batches = []
        for T, exs in by_bucket.items():
            exs = exs[:]
            random.shuffle(exs)
            for i in range(0, len(exs), o.batch):
                b = exs[i : i + o.batch]
                b += random.choices(exs, k=o.batch - len(b))
                batches.append((b, T))
        random.shuffle(batches)
        return batches

    def score():
        model.eval()
        total, tokens = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(valid), o.batch):
                b = valid[i : i + o.batch]
                T = max(bucket(len(ex) + 1) for ex in b)
                x, y, m = batch(b, T)
                total -= model.log_px(x, y, m).sum().item()
                tokens += int(m.sum().item())
        model.train()
        return total / len(valid), math.exp(total / tokens)

    step, trained, order = 0, 0.0, []
    while step < o.iterations:
        if not order:
            order = epoch()
        b, T = order.pop()
        start = time.time()
        x, y, m = batch(b, T)
        loss = -model.log_px(x, y, m).mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        trained += time.time() - start
        step += 1
        if step % o.every == 0 or step == o.iterations:
            nll, ppl = score()
            print(json.dumps({"step": step, "kind": "validation", "valid_sentences": len(valid), "valid_nll": nll,
                              "valid_ppl": ppl, "elapsed_s": trained}), flush=True)


if __name__ == "__main__":
    main()

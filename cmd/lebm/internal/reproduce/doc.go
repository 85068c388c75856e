// Package reproduce is `lebm reproduce`: the paper's text protocol end to end (Table 2 of Pang et al.
// 2020): the latent EBM model and its gaussian-prior ablation trained at one budget, a plain LSTM
// language model of the real training data, every model evaluated on the test split (NLL, PPL, MI, AU with
// their floors; forward and reverse PPL, BLEU-4, word KL), and a table beside the published numbers.
package reproduce

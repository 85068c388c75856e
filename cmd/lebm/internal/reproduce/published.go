package reproduce

// Published is a published row next to which the measured ones stand: numbers as printed (0 where the
// source gives none), with its source and how it was measured.
type Published struct {
	Model    string  `json:"model"`
	FPPL     float64 `json:"forward_ppl,omitempty"`
	RPPL     float64 `json:"reverse_ppl,omitempty"`
	NLL      float64 `json:"nll,omitempty"` // nats per sentence
	PPL      float64 `json:"ppl,omitempty"`
	Source   string  `json:"source"`
	Protocol string  `json:"protocol"` // what it measured and how it differs from lebm's measurement
}

// The sources of the published rows.
const (
	sourcePang       = "published (Pang et al. 2020, Table 2)"
	sourceTexar      = "published (Texar, examples/vae_text/README.md, asyml/texar)"
	sourceTexarTorch = "published (Texar-PyTorch, examples/vae_text/README.md, asyml/texar-pytorch)"
	protocolPang     = "PTB as in Kim et al. 2018 (10k words); NLL per sentence by importance sampling; the paper does not say " +
		"its denominator, importance samples or test-set filtering"
	protocolTexar = "VAE with LSTM encoder and decoder on the official PTB; NLL is the negative ELBO per sentence with one z " +
		"sample (an upper bound on -log p(x)), PPL = exp(sum NLL / (words + </s>)); test score at the epoch of best validation NLL"
)

// PaperRows are the published rows by corpus (DESIGN.md's "published numbers"): the latent EBM and, on
// PTB, the baselines the paper compares with, its real-data LSTM language model, and sentence-level
// VAE-LSTM rows of an independent implementation.
var PaperRows = map[string][]Published{
	"ptb": {
		{Model: "latent EBM (Pang et al. 2020)", FPPL: 107.45, RPPL: 181.54, NLL: 91.35, Source: sourcePang, Protocol: protocolPang},
		{Model: "SA-VAE", FPPL: 147.92, RPPL: 210.02, NLL: 101.28, Source: sourcePang, Protocol: protocolPang},
		{Model: "FB-VAE", FPPL: 145.32, RPPL: 204.11, NLL: 92.89, Source: sourcePang, Protocol: protocolPang},
		{Model: "ARAE", FPPL: 165.23, RPPL: 232.93, NLL: 91.31, Source: sourcePang, Protocol: protocolPang},
		{Model: "real-data LSTM LM", PPL: 100.36, Source: sourcePang, Protocol: protocolPang},
		{Model: "VAE-LSTM (Texar)", NLL: 102.10, PPL: 105.48, Source: sourceTexar, Protocol: protocolTexar},
		{Model: "VAE-LSTM (Texar-PyTorch)", NLL: 102.54, PPL: 107.64, Source: sourceTexarTorch, Protocol: protocolTexar},
	},
	"snli": {
		{Model: "latent EBM (Pang et al. 2020)", FPPL: 27.81, RPPL: 31.96, NLL: 28.90, Source: sourcePang, Protocol: protocolPang},
	},
	"yahoo": {
		{Model: "latent EBM (Pang et al. 2020)", FPPL: 80.91, RPPL: 118.08, NLL: 321.18, Source: sourcePang, Protocol: protocolPang},
	},
}

package reproduce

// Published is a row of the paper's Table 2 (Pang et al. 2020), or its real-data language model: numbers
// as printed, 0 where the paper gives none.
type Published struct {
	Model string  `json:"model"`
	FPPL  float64 `json:"forward_ppl,omitempty"`
	RPPL  float64 `json:"reverse_ppl,omitempty"`
	NLL   float64 `json:"nll,omitempty"` // nats per sentence
	PPL   float64 `json:"ppl,omitempty"` // the real-data LM's test perplexity
}

// PaperRows are the published rows by corpus (DESIGN.md's "published numbers"): the latent EBM and, on
// PTB, the baselines the paper compares with and its real-data LSTM language model.
var PaperRows = map[string][]Published{
	"ptb": {
		{Model: "latent EBM (Pang et al. 2020)", FPPL: 107.45, RPPL: 181.54, NLL: 91.35},
		{Model: "SA-VAE", FPPL: 147.92, RPPL: 210.02, NLL: 101.28},
		{Model: "FB-VAE", FPPL: 145.32, RPPL: 204.11, NLL: 92.89},
		{Model: "ARAE", FPPL: 165.23, RPPL: 232.93, NLL: 91.31},
		{Model: "real-data LSTM LM", PPL: 100.36},
	},
	"snli": {
		{Model: "latent EBM (Pang et al. 2020)", FPPL: 27.81, RPPL: 31.96, NLL: 28.90},
	},
	"yahoo": {
		{Model: "latent EBM (Pang et al. 2020)", FPPL: 80.91, RPPL: 118.08, NLL: 321.18},
	},
}

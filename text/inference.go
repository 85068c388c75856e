package text

// EncoderSize is the encoder's LSTM size.
func (c *Config) EncoderSize() int {
	if c.EncoderHidden > 0 {
		return c.EncoderHidden
	}
	return c.HiddenDim
}

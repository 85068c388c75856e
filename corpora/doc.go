// Package corpora reads text corpora (one example per line, whitespace tokens), builds the word-level
// vocabulary stored as a Hugging Face tokenizer.json, groups sentences into length buckets with a fixed
// batch size, and generates the embedded corpus that lebm trains on when no data is given.
package corpora

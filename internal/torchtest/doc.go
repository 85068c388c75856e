// Package torchtest runs examples/pytorch/lebm.py for the tests that check lebm against PyTorch: it finds
// a python3 that imports torch (LEBM_PYTHON, then /usr/bin/python3, then python3 on the PATH) and the
// script, and skips a test cleanly where there is none.
package torchtest

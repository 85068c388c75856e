// Package anomaly is `lebm anomaly`: the paper's MNIST anomaly-detection protocol on an image model
// trained without one class.
package anomaly

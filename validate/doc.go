// Package validate checks that a model file and the machine are fit to run:
// Model (and Bytes, Path) inspects a GGUF model — metadata, tensor set,
// types, I2_S codes and scales, NaN/Inf, tokenizer, memory, a one-token
// forward pass — and Host checks the machine for `bitnet doctor` — CPU and
// kernels, cores, memory against the model's needs, disk, GPU, the serve
// port and the configuration's security.
//
// Every check yields Findings (pass, skip, warn or fail, with a message and
// a fix) collected in a Report; nothing stops at the first problem. The CLI
// commands `bitnet validate` and `bitnet doctor` print Reports; the server
// can call the same functions at start-up.
package validate

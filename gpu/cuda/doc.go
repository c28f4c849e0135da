// Package cuda runs BitNet b1.58 models on NVIDIA GPUs without cgo.
//
// The CUDA driver API (libcuda.so.1) and the run-time compiler NVRTC
// (libnvrtc.so.*) are opened at run time with github.com/ebitengine/purego,
// so the binary builds with CGO_ENABLED=0 and still starts on machines
// without CUDA; there Load returns an error wrapping ErrUnavailable that
// says why (no driver library, no NVRTC, no device, or an operating system
// other than Linux).
//
// The kernels are CUDA C, kept as .cu files in kernels/ and embedded with
// go:embed. They are compiled by NVRTC to PTX for the device's architecture
// on first use and cached on disk under os.UserCacheDir()/bitnet/cuda,
// keyed by a hash of the source, the options and the NVRTC version.
//
// Model (model_gpu.go) is the GPU forwarder: it takes the Config and Weights
// of a loaded *model.Model, repacks the I2_S projections into the layout of
// repack.go, uploads everything once, and runs Forward and ForwardBatch
// with the semantics of model.Model on one device arena holding the
// activations and the KV cache. docs/gpu.md describes the design, the
// memory layout and the kernels.
//
// All calls into a CUDA context run on one goroutine locked to its OS
// thread (CUDA binds the current context to the thread); the exported
// methods hand their work to it.
package cuda

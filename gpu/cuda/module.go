package cuda

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

//go:embed kernels/*.cu kernels/common.cuh
var kernelFS embed.FS

// Program is one .cu file of kernels/ and the entry points it defines.
type Program struct {
	File    string   // e.g. "gemv_i2s.cu"
	Kernels []string // extern "C" __global__ functions
}

// Programs lists every kernel file and its entry points; the PTX test
// checks each entry appears in the compiled PTX.
var Programs = []Program{
	{"norm.cu", []string{"rmsnorm", "norm_quant"}},
	{"gemv_i2s.cu", []string{"i2s_gemv", "i2s_gemv_glu"}},
	{"gemm_i2s.cu", []string{"i2s_gemm"}},
	{"rope.cu", []string{"rope_store"}},
	{"attention.cu", []string{"attn_decode", "attn_combine", "attn_prefill"}},
	{"elementwise.cu", []string{"act_mul", "add_f32"}},
	{"head.cu", []string{"head_f16", "head_f32", "argmax"}},
}

// commonInclude is the line each .cu file uses to pull in common.cuh.
const commonInclude = `#include "common.cuh"`

// Source returns the CUDA C text of a kernel file with common.cuh inlined
// in place of its #include line, ready for NVRTC (which gets no include
// path and no headers).
func Source(file string) (string, error) {
	b, err := kernelFS.ReadFile("kernels/" + file)
	if err != nil {
		return "", fmt.Errorf("cuda: kernel source %q: %w", file, err)
	}
	common, err := kernelFS.ReadFile("kernels/common.cuh")
	if err != nil {
		return "", fmt.Errorf("cuda: kernel source common.cuh: %w", err)
	}
	src := string(b)
	if !strings.Contains(src, commonInclude) {
		return "", fmt.Errorf("cuda: kernel source %q lacks %s", file, commonInclude)
	}
	return strings.Replace(src, commonInclude, "#line 1 \"common.cuh\"\n"+string(common)+"\n#line 1 \""+file+"\"", 1), nil
}

// CompileOptions are the NVRTC options of every program besides the
// architecture: --fmad=false keeps a*b+c as two roundings, as Go computes
// it on amd64, so the GPU's float steps match the CPU engine's.
var CompileOptions = []string{"--fmad=false", "--std=c++14", "-default-device"}

// CacheEnv names the environment variable that sets the PTX cache
// directory; the value "off" disables the cache.
const CacheEnv = "BITNET_CUDA_CACHE"

// CacheDir returns the PTX cache directory: $BITNET_CUDA_CACHE, else
// os.UserCacheDir()/bitnet/cuda. It returns "" when caching is off or no
// cache directory is known.
func CacheDir() string {
	if d := os.Getenv(CacheEnv); d != "" {
		if d == "off" {
			return ""
		}
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "bitnet", "cuda")
}

// cacheKey hashes everything that determines the PTX.
func cacheKey(nv *NVRTC, file, src string, arch int) string {
	h := sha256.New()
	fmt.Fprintf(h, "bitnet-cuda-ptx-v1\x00%s\x00%d\x00%s\x00%s\x00", nv.Version(), arch, strings.Join(CompileOptions, " "), file)
	h.Write([]byte(src))
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// PTX returns the PTX of a kernel file for compute_<arch>, from the disk
// cache when present, else compiled by NVRTC and stored there (a temporary
// file renamed into place, so concurrent processes never see half a file).
// A cache that cannot be read or written only costs a compilation.
func PTX(nv *NVRTC, file string, arch int) ([]byte, error) {
	src, err := Source(file)
	if err != nil {
		return nil, err
	}
	dir := CacheDir()
	var path string
	if dir != "" {
		base := strings.TrimSuffix(file, ".cu")
		path = filepath.Join(dir, fmt.Sprintf("%s-sm%d-%s.ptx", base, arch, cacheKey(nv, file, src, arch)))
		if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(".version")) && len(b) > 0 && b[len(b)-1] == 0 {
			return b, nil
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			path = "" // unreadable cache: compile, do not write
		}
	}
	ptx, _, err := nv.Compile(src, file, arch, CompileOptions...)
	if err != nil {
		return nil, err
	}
	if path != "" {
		if os.MkdirAll(dir, 0o755) == nil {
			if f, err := os.CreateTemp(dir, ".tmp-*.ptx"); err == nil {
				_, werr := f.Write(ptx)
				cerr := f.Close()
				if werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
					os.Remove(f.Name())
				}
			}
		}
	}
	return ptx, nil
}

// Kinds of kernel arguments, one letter each in a signature.
const (
	argPtr = 'p' // a device pointer (8 bytes)
	argI32 = 'i' // a C int (4 bytes)
	argF32 = 'f' // a C float (4 bytes)
)

// signatures is the argument list of every kernel of Programs, one kind
// letter per parameter of its extern "C" __global__ prototype in
// kernels/*.cu, in order. TestLaunchSignatures checks it against the
// sources; every launch checks its arguments against it (checkArgs).
var signatures = map[string]string{
	"rmsnorm":      "pipippifi",
	"norm_quant":   "ppppipif",
	"i2s_gemv":     "pipiipppipppi",
	"i2s_gemv_glu": "pipiipppipppi",
	"i2s_gemm":     "pipiipppipppi",
	"rope_store":   "piiiiiipppippiii",
	"attn_decode":  "pipipppippiiiiiiifiip",
	"attn_combine": "pippiii",
	"attn_prefill": "pipipppippiiiiiiif",
	"act_mul":      "pipiii",
	"add_f32":      "ppi",
	"head_f16":     "pipiipii",
	"head_f32":     "pipiipii",
	"argmax":       "ppii",
}

// checkArgs reports arguments that do not match kernel name's signature.
func checkArgs(name string, kinds []byte) error {
	sig, ok := signatures[name]
	if !ok {
		return fmt.Errorf("cuda: kernel %s has no declared signature", name)
	}
	if string(kinds) != sig {
		return fmt.Errorf("cuda: kernel %s launched with arguments %q, its prototype takes %q (p pointer, i int, f float)", name, kinds, sig)
	}
	return nil
}

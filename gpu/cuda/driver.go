package cuda

import (
	"errors"
	"fmt"
	"unsafe"
)

// ErrUnavailable is wrapped by every error that means "CUDA cannot be used
// on this machine": no driver library, no NVRTC, no device, an
// unsupported operating system. Callers that may fall back to the CPU test
// for it with errors.Is.
var ErrUnavailable = errors.New("cuda: unavailable")

// Result is a CUresult, the status code of every driver API call.
type Result int32

// Driver status codes used by this package (cuda.h).
const (
	Success           Result = 0
	ErrorOutOfMemory  Result = 2
	ErrorNoDevice     Result = 100
	ErrorInvalidPTX   Result = 218
	ErrorNotSupported Result = 801
)

// DevicePtr is a CUdeviceptr: an address in device memory. It is a number,
// never a Go pointer.
type DevicePtr uint64

// Opaque driver handles.
type (
	Context  uintptr // CUcontext
	Module   uintptr // CUmodule
	Function uintptr // CUfunction
	Stream   uintptr // CUstream
)

// Device attributes (CUdevice_attribute) read by this package.
const (
	AttrMaxThreadsPerBlock    = 1
	AttrMultiprocessorCount   = 16
	AttrComputeCapabilityMajr = 75
	AttrComputeCapabilityMinr = 76
)

// Driver is the loaded CUDA driver API plus NVRTC. Each binding is a Go
// func field registered with purego.RegisterFunc; the C prototype is the
// comment above it. purego cannot check that a prototype matches the
// library, so every argument is validated in Go before the call, and the
// bindings get a smoke test on a GPU host (TestDriverSmoke). Calls that
// use a context must run on the OS thread that made it current (see
// Device); the device query calls may run anywhere after Load.
type Driver struct {
	Path  string // the libcuda file that was opened
	NVRTC *NVRTC // the run-time compiler; never nil

	// CUresult cuInit(unsigned int Flags);
	cuInit func(flags uint32) Result
	// CUresult cuDriverGetVersion(int *driverVersion);
	cuDriverGetVersion func(version *int32) Result
	// CUresult cuDeviceGetCount(int *count);
	cuDeviceGetCount func(count *int32) Result
	// CUresult cuDeviceGet(CUdevice *device, int ordinal);
	cuDeviceGet func(device *int32, ordinal int32) Result
	// CUresult cuDeviceGetName(char *name, int len, CUdevice dev);
	cuDeviceGetName func(name *byte, n int32, dev int32) Result
	// CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev);
	cuDeviceGetAttribute func(pi *int32, attrib int32, dev int32) Result
	// CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev);
	cuDeviceTotalMem func(bytes *uint64, dev int32) Result
	// CUresult cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev);
	cuCtxCreate func(pctx *Context, flags uint32, dev int32) Result
	// CUresult cuCtxDestroy_v2(CUcontext ctx);
	cuCtxDestroy func(ctx Context) Result
	// CUresult cuCtxSetCurrent(CUcontext ctx);
	cuCtxSetCurrent func(ctx Context) Result
	// CUresult cuCtxSynchronize(void);
	cuCtxSynchronize func() Result
	// CUresult cuMemGetInfo_v2(size_t *free, size_t *total);
	cuMemGetInfo func(free, total *uint64) Result
	// CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize);
	cuMemAlloc func(dptr *DevicePtr, bytesize uint64) Result
	// CUresult cuMemFree_v2(CUdeviceptr dptr);
	cuMemFree func(dptr DevicePtr) Result
	// CUresult cuMemAllocHost_v2(void **pp, size_t bytesize);
	cuMemAllocHost func(pp *unsafe.Pointer, bytesize uint64) Result
	// CUresult cuMemFreeHost(void *p);
	cuMemFreeHost func(p unsafe.Pointer) Result
	// CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount);
	cuMemcpyHtoD func(dst DevicePtr, src unsafe.Pointer, n uint64) Result
	// CUresult cuMemcpyDtoH_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount);
	cuMemcpyDtoH func(dst unsafe.Pointer, src DevicePtr, n uint64) Result
	// CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount, CUstream hStream);
	cuMemcpyHtoDAsync func(dst DevicePtr, src unsafe.Pointer, n uint64, stream Stream) Result
	// CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream);
	cuMemcpyDtoHAsync func(dst unsafe.Pointer, src DevicePtr, n uint64, stream Stream) Result
	// CUresult cuMemsetD8_v2(CUdeviceptr dstDevice, unsigned char uc, size_t N);
	cuMemsetD8 func(dst DevicePtr, uc uint8, n uint64) Result
	// CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags);
	cuStreamCreate func(stream *Stream, flags uint32) Result
	// CUresult cuStreamDestroy_v2(CUstream hStream);
	cuStreamDestroy func(stream Stream) Result
	// CUresult cuStreamSynchronize(CUstream hStream);
	cuStreamSynchronize func(stream Stream) Result
	// CUresult cuModuleLoadData(CUmodule *module, const void *image);
	cuModuleLoadData func(module *Module, image *byte) Result
	// CUresult cuModuleUnload(CUmodule hmod);
	cuModuleUnload func(module Module) Result
	// CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name);
	cuModuleGetFunction func(fn *Function, module Module, name string) Result
	// CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
	//     unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,
	//     unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream,
	//     void **kernelParams, void **extra);
	cuLaunchKernel func(f Function, gx, gy, gz, bx, by, bz, shared uint32, stream Stream, params unsafe.Pointer, extra unsafe.Pointer) Result
	// CUresult cuGetErrorString(CUresult error, const char **pStr);
	cuGetErrorString func(r Result, str **byte) Result
	// CUresult cuGetErrorName(CUresult error, const char **pStr);
	cuGetErrorName func(r Result, str **byte) Result
}

// driverSymbols maps each binding to its exported symbol (the _v2 names
// are what cuda.h's macros select for the API version this package uses).
func (d *Driver) symbols() []binding {
	return []binding{
		{"cuInit", &d.cuInit},
		{"cuDriverGetVersion", &d.cuDriverGetVersion},
		{"cuDeviceGetCount", &d.cuDeviceGetCount},
		{"cuDeviceGet", &d.cuDeviceGet},
		{"cuDeviceGetName", &d.cuDeviceGetName},
		{"cuDeviceGetAttribute", &d.cuDeviceGetAttribute},
		{"cuDeviceTotalMem_v2", &d.cuDeviceTotalMem},
		{"cuCtxCreate_v2", &d.cuCtxCreate},
		{"cuCtxDestroy_v2", &d.cuCtxDestroy},
		{"cuCtxSetCurrent", &d.cuCtxSetCurrent},
		{"cuCtxSynchronize", &d.cuCtxSynchronize},
		{"cuMemGetInfo_v2", &d.cuMemGetInfo},
		{"cuMemAlloc_v2", &d.cuMemAlloc},
		{"cuMemFree_v2", &d.cuMemFree},
		{"cuMemAllocHost_v2", &d.cuMemAllocHost},
		{"cuMemFreeHost", &d.cuMemFreeHost},
		{"cuMemcpyHtoD_v2", &d.cuMemcpyHtoD},
		{"cuMemcpyDtoH_v2", &d.cuMemcpyDtoH},
		{"cuMemcpyHtoDAsync_v2", &d.cuMemcpyHtoDAsync},
		{"cuMemcpyDtoHAsync_v2", &d.cuMemcpyDtoHAsync},
		{"cuMemsetD8_v2", &d.cuMemsetD8},
		{"cuStreamCreate", &d.cuStreamCreate},
		{"cuStreamDestroy_v2", &d.cuStreamDestroy},
		{"cuStreamSynchronize", &d.cuStreamSynchronize},
		{"cuModuleLoadData", &d.cuModuleLoadData},
		{"cuModuleUnload", &d.cuModuleUnload},
		{"cuModuleGetFunction", &d.cuModuleGetFunction},
		{"cuLaunchKernel", &d.cuLaunchKernel},
		{"cuGetErrorString", &d.cuGetErrorString},
		{"cuGetErrorName", &d.cuGetErrorName},
	}
}

// binding is one symbol and the func field it is registered into.
type binding struct {
	name string
	fptr any
}

// Error is a failed driver call.
type Error struct {
	Op   string // the call, e.g. "cuMemAlloc(1073741824 bytes)"
	Code Result
	Name string // e.g. "CUDA_ERROR_OUT_OF_MEMORY"
	Msg  string // cuGetErrorString's text
}

func (e *Error) Error() string {
	return fmt.Sprintf("cuda: %s: %s (%d): %s", e.Op, e.Name, int32(e.Code), e.Msg)
}

// check turns a CUresult into nil or an *Error naming op.
func (d *Driver) check(op string, r Result) error {
	if r == Success {
		return nil
	}
	e := &Error{Op: op, Code: r, Name: "CUDA_ERROR_UNKNOWN", Msg: "unknown error"}
	var p *byte
	if d.cuGetErrorName != nil && d.cuGetErrorName(r, &p) == Success {
		e.Name = goString(p)
	}
	p = nil
	if d.cuGetErrorString != nil && d.cuGetErrorString(r, &p) == Success {
		e.Msg = goString(p)
	}
	return e
}

// goString copies a NUL-terminated C string owned by the library.
func goString(p *byte) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}

// Version returns the driver's CUDA version as major·1000 + minor·10
// (12040 is CUDA 12.4).
func (d *Driver) Version() (int, error) {
	var v int32
	if err := d.check("cuDriverGetVersion", d.cuDriverGetVersion(&v)); err != nil {
		return 0, err
	}
	return int(v), nil
}

// DeviceCount returns the number of CUDA devices.
func (d *Driver) DeviceCount() (int, error) {
	var n int32
	if err := d.check("cuDeviceGetCount", d.cuDeviceGetCount(&n)); err != nil {
		return 0, err
	}
	return int(n), nil
}

// DeviceInfo describes one device.
type DeviceInfo struct {
	Ordinal    int
	Name       string
	Major      int   // compute capability major
	Minor      int   // compute capability minor
	SMs        int   // multiprocessors
	TotalBytes int64 // device memory
}

// Arch is the compute capability as one number (90 for 9.0).
func (i DeviceInfo) Arch() int { return i.Major*10 + i.Minor }

func (i DeviceInfo) String() string {
	return fmt.Sprintf("cuda:%d %s (sm_%d, %d SMs, %.1f GiB)", i.Ordinal, i.Name, i.Arch(), i.SMs, float64(i.TotalBytes)/(1<<30))
}

// Device returns the description of device ordinal.
func (d *Driver) Device(ordinal int) (DeviceInfo, error) {
	n, err := d.DeviceCount()
	if err != nil {
		return DeviceInfo{}, err
	}
	if ordinal < 0 || ordinal >= n {
		return DeviceInfo{}, fmt.Errorf("cuda: device %d does not exist (%d device(s))", ordinal, n)
	}
	var dev int32
	if err := d.check(fmt.Sprintf("cuDeviceGet(%d)", ordinal), d.cuDeviceGet(&dev, int32(ordinal))); err != nil {
		return DeviceInfo{}, err
	}
	info := DeviceInfo{Ordinal: ordinal}
	var name [256]byte
	if err := d.check("cuDeviceGetName", d.cuDeviceGetName(&name[0], int32(len(name)), dev)); err != nil {
		return DeviceInfo{}, err
	}
	info.Name = goString(&name[0])
	attr := func(a int32, dst *int) {
		var v int32
		if err == nil {
			err = d.check(fmt.Sprintf("cuDeviceGetAttribute(%d)", a), d.cuDeviceGetAttribute(&v, a, dev))
			*dst = int(v)
		}
	}
	attr(AttrComputeCapabilityMajr, &info.Major)
	attr(AttrComputeCapabilityMinr, &info.Minor)
	attr(AttrMultiprocessorCount, &info.SMs)
	if err != nil {
		return DeviceInfo{}, err
	}
	var total uint64
	if err := d.check("cuDeviceTotalMem", d.cuDeviceTotalMem(&total, dev)); err != nil {
		return DeviceInfo{}, err
	}
	info.TotalBytes = int64(total)
	return info, nil
}

package cuda

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"unsafe"
)

// Device is one CUDA context with one stream on one device. A goroutine
// locked to its OS thread owns the context (CUDA binds the current
// context to the calling thread) and runs every call that uses it: the
// exported methods of Device and Model hand their work to it with Do.
// Kernels are compiled (or read from the PTX cache) and loaded when the
// device opens.
type Device struct {
	Info DeviceInfo
	Arch int // the architecture the kernels were compiled for

	drv    *Driver
	ctx    Context
	stream Stream
	funcs  map[string]Function
	mods   []Module
	params launchParams
	work   chan *call
	quit   chan struct{}
	closed bool
}

// call is one unit of work for the owner goroutine. A call may be reused
// (the forward step keeps one), so that handing work over allocates
// nothing.
type call struct {
	fn   func() error
	done chan error // buffered, capacity 1
}

func newCall(fn func() error) *call { return &call{fn: fn, done: make(chan error, 1)} }

// maxParams is the most kernel arguments one launch may have.
const maxParams = 24

// launchParams is the argument block of cuLaunchKernel in pinned host
// memory: maxParams 8-byte slots, then maxParams pointers to them. It
// lives in C memory so that no Go pointer is ever handed to the driver;
// cuLaunchKernel copies the arguments, so one block serves every launch.
type launchParams struct {
	base  unsafe.Pointer
	slots []uint64        // (maxParams) argument values
	ptrs  []uintptr       // (maxParams) addresses of the slots (C memory)
	kinds [maxParams]byte // argument kinds set so far (argPtr, argI32, argF32)
	n     int
}

// OpenDevice creates a context on device ordinal, starts its owner
// goroutine, and compiles and loads every kernel for the device's
// architecture (or the newest one NVRTC supports below it).
func OpenDevice(d *Driver, ordinal int) (*Device, error) {
	info, err := d.Device(ordinal)
	if err != nil {
		return nil, err
	}
	arch, err := d.NVRTC.TargetArch(info.Arch())
	if err != nil {
		return nil, err
	}
	dev := &Device{Info: info, Arch: arch, drv: d, funcs: map[string]Function{}, work: make(chan *call), quit: make(chan struct{})}
	started := make(chan error, 1)
	go dev.loop(started)
	if err := <-started; err != nil {
		return nil, err
	}
	if err := dev.Do(dev.loadKernels); err != nil {
		dev.Close()
		return nil, err
	}
	return dev, nil
}

// loop is the owner goroutine: it creates the context and stream, then
// runs calls until Close.
func (dev *Device) loop(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d := dev.drv
	var dv int32
	err := d.check(fmt.Sprintf("cuDeviceGet(%d)", dev.Info.Ordinal), d.cuDeviceGet(&dv, int32(dev.Info.Ordinal)))
	if err == nil {
		err = d.check("cuCtxCreate", d.cuCtxCreate(&dev.ctx, 0, dv))
	}
	if err == nil {
		err = d.check("cuStreamCreate", d.cuStreamCreate(&dev.stream, 1)) // CU_STREAM_NON_BLOCKING
	}
	if err == nil {
		err = dev.allocParams()
	}
	if err != nil {
		if dev.ctx != 0 {
			d.cuCtxDestroy(dev.ctx)
		}
		started <- err
		return
	}
	started <- nil
	for {
		select {
		case c := <-dev.work:
			c.done <- c.fn()
		case <-dev.quit:
			return
		}
	}
}

func (dev *Device) allocParams() error {
	p := &dev.params
	var base unsafe.Pointer
	if err := dev.drv.check("cuMemAllocHost(launch parameters)", dev.drv.cuMemAllocHost(&base, 16*maxParams)); err != nil {
		return err
	}
	p.base = base
	p.slots = unsafe.Slice((*uint64)(base), maxParams)
	p.ptrs = unsafe.Slice((*uintptr)(unsafe.Add(base, 8*maxParams)), maxParams)
	for i := range p.ptrs {
		p.ptrs[i] = uintptr(unsafe.Add(base, 8*i))
	}
	return nil
}

// Do runs fn on the owner goroutine and returns its error. fn may use the
// unexported device methods (alloc, copies, launches).
func (dev *Device) Do(fn func() error) error { return dev.run(newCall(fn)) }

// run hands c to the owner goroutine and waits for it.
func (dev *Device) run(c *call) error {
	if dev.closed {
		return errors.New("cuda: device is closed")
	}
	dev.work <- c
	return <-c.done
}

// Close unloads the modules, destroys the context (freeing all its device
// memory) and stops the owner goroutine. The Device must not be used
// afterwards.
func (dev *Device) Close() error {
	if dev.closed {
		return nil
	}
	err := dev.Do(func() error {
		d := dev.drv
		for _, m := range dev.mods {
			d.cuModuleUnload(m)
		}
		if dev.params.base != nil {
			d.cuMemFreeHost(dev.params.base)
		}
		if dev.stream != 0 {
			d.cuStreamDestroy(dev.stream)
		}
		return d.check("cuCtxDestroy", d.cuCtxDestroy(dev.ctx))
	})
	close(dev.quit)
	dev.closed = true
	return err
}

// loadKernels loads every program's PTX and resolves its entry points.
func (dev *Device) loadKernels() error {
	d := dev.drv
	for _, p := range Programs {
		ptx, err := PTX(d.NVRTC, p.File, dev.Arch)
		if err != nil {
			return err
		}
		var m Module
		if err := d.check("cuModuleLoadData("+p.File+")", d.cuModuleLoadData(&m, &ptx[0])); err != nil {
			return err
		}
		dev.mods = append(dev.mods, m)
		for _, k := range p.Kernels {
			var f Function
			if err := d.check("cuModuleGetFunction("+k+")", d.cuModuleGetFunction(&f, m, k)); err != nil {
				return err
			}
			dev.funcs[k] = f
		}
	}
	return nil
}

// MemInfo returns the free and total device memory in bytes.
func (dev *Device) MemInfo() (free, total int64, err error) {
	err = dev.Do(func() error {
		var f, t uint64
		if err := dev.drv.check("cuMemGetInfo", dev.drv.cuMemGetInfo(&f, &t)); err != nil {
			return err
		}
		free, total = int64(f), int64(t)
		return nil
	})
	return free, total, err
}

// The methods below run on the owner goroutine only.

// alloc allocates n bytes of device memory.
func (dev *Device) alloc(n int64, what string) (DevicePtr, error) {
	if n <= 0 {
		return 0, fmt.Errorf("cuda: allocating %d bytes for %s", n, what)
	}
	var p DevicePtr
	if err := dev.drv.check(fmt.Sprintf("cuMemAlloc(%d bytes for %s)", n, what), dev.drv.cuMemAlloc(&p, uint64(n))); err != nil {
		return 0, err
	}
	return p, nil
}

func (dev *Device) free(p DevicePtr) {
	if p != 0 {
		dev.drv.cuMemFree(p)
	}
}

// allocHost allocates n bytes of pinned host memory.
func (dev *Device) allocHost(n int64, what string) (unsafe.Pointer, error) {
	if n <= 0 {
		return nil, fmt.Errorf("cuda: allocating %d pinned bytes for %s", n, what)
	}
	var p unsafe.Pointer
	if err := dev.drv.check(fmt.Sprintf("cuMemAllocHost(%d bytes for %s)", n, what), dev.drv.cuMemAllocHost(&p, uint64(n))); err != nil {
		return nil, err
	}
	return p, nil
}

// upload copies len(b) bytes from host memory to dst, synchronously.
func (dev *Device) upload(dst DevicePtr, b []byte, what string) error {
	if len(b) == 0 {
		return nil
	}
	err := dev.drv.check("cuMemcpyHtoD("+what+")", dev.drv.cuMemcpyHtoD(dst, unsafe.Pointer(&b[0]), uint64(len(b))))
	runtime.KeepAlive(b)
	return err
}

// uploadF32 and uploadU32 are upload for typed slices.
func (dev *Device) uploadF32(dst DevicePtr, x []float32, what string) error {
	if len(x) == 0 {
		return nil
	}
	return dev.upload(dst, unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*len(x)), what)
}

func (dev *Device) uploadU32(dst DevicePtr, x []uint32, what string) error {
	if len(x) == 0 {
		return nil
	}
	return dev.upload(dst, unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*len(x)), what)
}

// htodAsync and dtohAsync copy between pinned host memory and the device
// on the stream.
func (dev *Device) htodAsync(dst DevicePtr, src unsafe.Pointer, n int64) error {
	if n == 0 {
		return nil
	}
	return dev.drv.check("cuMemcpyHtoDAsync", dev.drv.cuMemcpyHtoDAsync(dst, src, uint64(n), dev.stream))
}

func (dev *Device) dtohAsync(dst unsafe.Pointer, src DevicePtr, n int64) error {
	if n == 0 {
		return nil
	}
	return dev.drv.check("cuMemcpyDtoHAsync", dev.drv.cuMemcpyDtoHAsync(dst, src, uint64(n), dev.stream))
}

func (dev *Device) sync() error {
	return dev.drv.check("cuStreamSynchronize", dev.drv.cuStreamSynchronize(dev.stream))
}

// Kernel arguments: begin a launch, add each argument in the kernel's
// order with the setter of its C type, then launch.
func (dev *Device) args() *launchParams { dev.params.n = 0; return &dev.params }

func (p *launchParams) ptr(v DevicePtr) *launchParams { return p.put(argPtr, uint64(v)) }
func (p *launchParams) i32(v int) *launchParams {
	if v < math.MinInt32 || v > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: kernel argument %d does not fit an int", v)) // shapes are checked at load
	}
	return p.put(argI32, uint64(uint32(int32(v))))
}
func (p *launchParams) f32(v float32) *launchParams {
	return p.put(argF32, uint64(math.Float32bits(v)))
}

func (p *launchParams) put(kind byte, v uint64) *launchParams {
	if p.n == maxParams {
		panic("cuda: too many kernel arguments")
	}
	p.slots[p.n] = v
	p.kinds[p.n] = kind
	p.n++
	return p
}

// launch runs kernel name with the arguments set since args() on a grid
// of (gx, gy, gz) blocks of bx threads.
func (dev *Device) launch(name string, gx, gy, gz, bx int) error {
	f, ok := dev.funcs[name]
	if !ok {
		panic("cuda: unknown kernel " + name)
	}
	if err := checkArgs(name, dev.params.kinds[:dev.params.n]); err != nil {
		return err
	}
	if gx <= 0 || gy <= 0 || gz <= 0 || gx > math.MaxInt32 || gy > 65535 || gz > 65535 || bx <= 0 || bx > 1024 {
		return fmt.Errorf("cuda: %s: launch grid (%d, %d, %d) × %d threads out of range", name, gx, gy, gz, bx)
	}
	r := dev.drv.cuLaunchKernel(f, uint32(gx), uint32(gy), uint32(gz), uint32(bx), 1, 1, 0, dev.stream,
		unsafe.Pointer(&dev.params.ptrs[0]), nil)
	if r != Success {
		return dev.drv.check("cuLaunchKernel("+name+")", r)
	}
	return nil
}

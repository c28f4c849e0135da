package convert

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"unicode/utf8"
)

// maxSPMSize bounds a tokenizer.model file (Llama 2's is 500 kB).
const maxSPMSize = 64 << 20

// SentencePiece piece types (sentencepiece_model.proto, ModelProto.SentencePiece.Type).
const (
	spmNormal      = 1
	spmUnknown     = 2
	spmControl     = 3
	spmUserDefined = 4
	spmByte        = 6
	spmUnused      = 5
)

// spmModel is the part of a SentencePiece ModelProto the converter needs.
type spmModel struct {
	pieces         []spmPiece
	modelType      int  // TrainerSpec.model_type: 1 unigram (the proto default), 2 BPE
	addDummyPrefix bool // NormalizerSpec.add_dummy_prefix (default true)
}

type spmPiece struct {
	text  string
	score float32
	typ   int
}

// readSPM reads a SentencePiece tokenizer.model.
func readSPM(path string) (*spmModel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSPMSize+1))
	if err != nil {
		return nil, fmt.Errorf("convert: %s: %w", path, err)
	}
	if len(b) > maxSPMSize {
		return nil, fmt.Errorf("convert: %s: larger than %d bytes", path, maxSPMSize)
	}
	m, err := parseSPM(b)
	if err != nil {
		return nil, fmt.Errorf("convert: %s: %w", path, err)
	}
	if m.modelType != 2 {
		return nil, fmt.Errorf("convert: %s: SentencePiece model_type %d is not supported (want 2, BPE)", path, m.modelType)
	}
	return m, nil
}

// parseSPM decodes a serialized ModelProto with a minimal protobuf reader:
// field 1 (repeated SentencePiece {1 piece, 2 score, 3 type}), field 2
// (TrainerSpec: 3 model_type) and field 3 (NormalizerSpec: 3
// add_dummy_prefix). Other fields are skipped.
func parseSPM(b []byte) (*spmModel, error) {
	m := &spmModel{modelType: 1, addDummyPrefix: true}
	err := forFields(b, func(num int, wt int, v uint64, sub []byte) error {
		switch {
		case num == 1 && wt == wireBytes:
			p := spmPiece{typ: spmNormal}
			err := forFields(sub, func(num int, wt int, v uint64, sub []byte) error {
				switch {
				case num == 1 && wt == wireBytes:
					if !utf8.Valid(sub) {
						return fmt.Errorf("piece %d is not valid UTF-8", len(m.pieces))
					}
					p.text = string(sub)
				case num == 2 && wt == wireFixed32:
					p.score = math.Float32frombits(uint32(v))
				case num == 3 && wt == wireVarint:
					p.typ = int(v)
					if p.typ < spmNormal || p.typ > spmByte {
						return fmt.Errorf("piece %d has type %d", len(m.pieces), v)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			m.pieces = append(m.pieces, p)
		case num == 2 && wt == wireBytes:
			return forFields(sub, func(num int, wt int, v uint64, _ []byte) error {
				if num == 3 && wt == wireVarint {
					m.modelType = int(v)
				}
				return nil
			})
		case num == 3 && wt == wireBytes:
			return forFields(sub, func(num int, wt int, v uint64, _ []byte) error {
				if num == 3 && wt == wireVarint {
					m.addDummyPrefix = v != 0
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(m.pieces) == 0 {
		return nil, errors.New("no pieces: not a SentencePiece model")
	}
	return m, nil
}

// Protobuf wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// forFields calls fn for each field of the protobuf message b: its number,
// wire type, and the value (varint and fixed) or the bytes (length-delimited).
func forFields(b []byte, fn func(num, wt int, v uint64, sub []byte) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("protobuf: bad field key")
		}
		b = b[n:]
		num, wt := int(key>>3), int(key&7)
		if num == 0 {
			return errors.New("protobuf: field number 0")
		}
		var v uint64
		var sub []byte
		switch wt {
		case wireVarint:
			v, n = binary.Uvarint(b)
			if n <= 0 {
				return fmt.Errorf("protobuf: field %d: bad varint", num)
			}
			b = b[n:]
		case wireFixed64:
			if len(b) < 8 {
				return fmt.Errorf("protobuf: field %d: %w", num, io.ErrUnexpectedEOF)
			}
			v, b = binary.LittleEndian.Uint64(b), b[8:]
		case wireFixed32:
			if len(b) < 4 {
				return fmt.Errorf("protobuf: field %d: %w", num, io.ErrUnexpectedEOF)
			}
			v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		case wireBytes:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return fmt.Errorf("protobuf: field %d: length runs past the end", num)
			}
			sub, b = b[n:n+int(l)], b[n+int(l):]
		default:
			return fmt.Errorf("protobuf: field %d: unsupported wire type %d", num, wt)
		}
		if err := fn(num, wt, v, sub); err != nil {
			return err
		}
	}
	return nil
}

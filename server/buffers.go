package server

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
)

// Buffer sizes of an accepted websocket. A subscriber's socket mostly
// waits, and what it reads is small (subscribe, complete, pong), so its
// reader is small; a larger message is read straight into its destination.
// Its writes need no buffer of their own (see frameWriter).
const (
	socketReadBuffer = 512
	// socketWriteBuffer holds a frame's header, whose 2 to 10 bytes the
	// websocket library writes before the payload, plus the first bytes
	// of the payload.
	socketWriteBuffer = 16
)

// smallBuffers hands a websocket library the hijacked connection with
// small buffers, in place of the server's 4 KiB ones, which it would keep
// for the socket's life.
type smallBuffers struct{ http.ResponseWriter }

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("http.ResponseWriter does not implement http.Hijacker")
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(conn, socketReadBuffer)
	if n := brw.Reader.Buffered(); n > 0 {
		// Bytes the client sent after its handshake, already read: the
		// new reader holds them, where the library looks for them.
		early, _ := brw.Reader.Peek(n)
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn), max(n, socketReadBuffer))
		if _, err := br.Peek(n); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(&frameWriter{conn: conn}, socketWriteBuffer)), nil
}

// frameWriter sends each websocket frame the server writes in one write
// to the connection, without a buffer the size of a frame. Behind a small
// bufio.Writer it sees each frame as its first bytes (the header and the
// start of the payload, flushed when the buffer fills, or the whole frame
// when it is small) and then the rest of the payload. It holds the first
// bytes until the rest comes, and writes both at once (writev). Frames
// must start at the start of a write, as a bufio.Writer flushed at each
// frame's end (as the library does) makes them.
type frameWriter struct {
	conn net.Conn
	held [socketWriteBuffer]byte
	n    int   // bytes held
	left int64 // bytes of the current frame not yet written to the writer
}

func (w *frameWriter) Write(p []byte) (int, error) {
	if w.left > 0 {
		if w.n > 0 {
			bufs := net.Buffers{w.held[:w.n], p}
			n, err := bufs.WriteTo(w.conn)
			written := int(n) - w.n
			w.n = 0
			w.left -= int64(max(0, written))
			if err != nil {
				return max(0, written), err
			}
			return len(p), nil
		}
		n, err := w.conn.Write(p)
		w.left -= int64(n)
		return n, err
	}
	size, ok := frameSize(p)
	if !ok || size <= int64(len(p)) || len(p) > len(w.held) {
		return w.conn.Write(p)
	}
	w.n = copy(w.held[:], p)
	w.left = size - int64(len(p))
	return len(p), nil
}

// frameSize is the length of the frame whose first bytes p holds, header
// and payload; false when p holds less than the header.
func frameSize(p []byte) (int64, bool) {
	if len(p) < 2 {
		return 0, false
	}
	header, length := int64(2), int64(p[1]&0x7f)
	switch length {
	case 126:
		if len(p) < 4 {
			return 0, false
		}
		header, length = 4, int64(binary.BigEndian.Uint16(p[2:4]))
	case 127:
		if len(p) < 10 {
			return 0, false
		}
		header, length = 10, int64(binary.BigEndian.Uint64(p[2:10]))
	}
	if p[1]&0x80 != 0 {
		header += 4 // masked: a client's frame
	}
	return header + length, true
}

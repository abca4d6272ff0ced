// Package jute owns ZooKeeper's wire records: the 4-byte length framing, the
// request and reply headers, every request and response record of the client
// protocol, the transaction (txn) records, opcodes and error codes.
//
// Every decoder here reads untrusted bytes. A length read from the wire is
// checked against the bytes that remain before anything is allocated, so
// what a decoder allocates is bounded by a small multiple of the frame's own
// size (decoded structs are larger than their encoding: a multi of minimal
// ops measures about 8x), never by a length the frame claims. Decoders never
// panic on bad input; they report an error.
//
// jute imports nothing but the standard library, and never does I/O beyond
// the io.Reader handed to ReadFrame.
//
// # Where things are
//
//   - codec.go: Encoder, Decoder (sticky errors), Record, Marshal/Unmarshal,
//     ReadFrame/AppendFrame.
//   - opcodes.go, errors.go, data.go: OpCode, Code, Perm, CreateMode, event
//     and watcher types; Id, ACL, Stat.
//   - connect.go: the handshake (ConnectRequest, ConnectResponse).
//   - headers.go: RequestHeader, ReplyHeader, MultiHeader, ErrorResponse.
//   - create.go, read.go, write.go, watches.go, auth.go, reconfig.go: one
//     record family each.
//   - multi.go: MultiRequest and MultiResponse.
//   - request.go: NewRequestRecord and NewResponseRecord, the opcode → body
//     tables a server and a client dispatch on.
//   - txn.go, txn_multi.go, txn_codec.go: txn records, MultiTxn, and
//     EncodeTxn/DecodeTxn/NewTxnRecord.
//
// # Conventions
//
// Every record has pointer methods Encode(*Encoder) and Decode(*Decoder).
// Records mirror ZooKeeper's null/empty distinction so that decoding and
// re-encoding gives the same bytes: a nil []byte or vector is written as
// length -1 and decodes back to nil, an empty one as length 0 and decodes to
// an empty non-nil slice. A null string (-1) decodes as "" and is written
// back as length 0. Byte slices returned by decoding are copies; nothing
// retains the frame.
//
// The golden tests pin the encoding against frames and txn log entries
// captured from Apache ZooKeeper 3.8.0.
package jute

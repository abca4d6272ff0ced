package jute

import "testing"

// benchStat is a realistic Stat for benchmarks.
var benchStat = Stat{Czxid: 0x100000004, Mzxid: 0x100000009, Ctime: 1700000000000, Mtime: 1700000000500,
	Version: 3, Cversion: 0, Aversion: 0, EphemeralOwner: 0x1000040fd0d0000, DataLength: 256, NumChildren: 0, Pzxid: 0x100000004}

func benchGetDataResponse() *GetDataResponse {
	data := make([]byte, 256)
	for i := range data {
		data[i] = byte(i)
	}
	return &GetDataResponse{Data: data, Stat: benchStat}
}

func benchCreateRequest() *CreateRequest {
	return &CreateRequest{
		Path:  "/dubbo/org.apache.dubbo.demo.DemoService/providers/dubbo%3A%2F%2F127.0.0.1%3A20880",
		Data:  []byte(`{"host":"127.0.0.1","port":20880,"weight":100}`),
		ACL:   OpenACLUnsafe,
		Flags: ModeEphemeral,
	}
}

func BenchmarkGetDataResponseEncode(b *testing.B) {
	r := benchGetDataResponse()
	hdr := ReplyHeader{Xid: 7, Zxid: 0x100000009}
	buf := make([]byte, 0, 512)
	b.SetBytes(int64(len(AppendFrame(nil, &hdr, r))))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFrame(buf[:0], &hdr, r)
	}
}

func BenchmarkGetDataResponseDecode(b *testing.B) {
	frame := Marshal(benchGetDataResponse())
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		var r GetDataResponse
		if err := Unmarshal(frame, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateRequestEncode(b *testing.B) {
	r := benchCreateRequest()
	hdr := RequestHeader{Xid: 7, Type: OpCreate}
	buf := make([]byte, 0, 512)
	b.SetBytes(int64(len(AppendFrame(nil, &hdr, r))))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFrame(buf[:0], &hdr, r)
	}
}

func BenchmarkCreateRequestDecode(b *testing.B) {
	frame := Marshal(benchCreateRequest())
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		var r CreateRequest
		if err := Unmarshal(frame, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMultiResponseEncode(b *testing.B) {
	r := &MultiResponse{Results: []MultiResult{
		{Type: OpCreate2, Resp: &Create2Response{Path: "/svc/inst-0000000001", Stat: benchStat}},
		{Type: OpSetData, Resp: &SetDataResponse{Stat: benchStat}},
		{Type: OpCheck},
	}}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFrame(buf[:0], r)
	}
}

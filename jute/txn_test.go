package jute

import "testing"

func TestTxnTypePeeksTheHeader(t *testing.T) {
	for _, typ := range []OpCode{OpCreate, OpReconfig, OpCloseSession, OpError} {
		b := EncodeTxn(&TxnHeader{ClientID: 1, Cxid: 2, Zxid: 3, Time: 4, Type: typ}, nil)
		if got, ok := TxnType(b); !ok || got != typ {
			t.Errorf("TxnType of a %v txn = %v, %v", typ, got, ok)
		}
	}
	if _, ok := TxnType(make([]byte, TxnHeaderSize-1)); ok {
		t.Error("TxnType of a short buffer reports ok")
	}
}

package loadbalance

import (
	"errors"
	"reflect"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Config{
		{KafkaChroot: "kafka", CuratorBasePath: "/services"},
		{KafkaChroot: "/kafka/", CuratorBasePath: "/services"},
		{CuratorBasePath: ""},
		{CuratorBasePath: "/a//b"},
		{CuratorBasePath: "/dubbo"},
		{CuratorBasePath: "/zkmesh"},
		{CuratorBasePath: "/zkmesh/services/x"},
	} {
		if _, err := NewRegistryWithConfig(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err = %v", c, err)
		}
	}
}

func TestKafkaChrootAndCuratorBasePath(t *testing.T) {
	r, err := NewRegistryWithConfig(Config{KafkaChroot: "/kafka", CuratorBasePath: "/discovery/prod"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/dubbo", "/kafka/brokers/ids", "/kafka/controller", "/discovery/prod", "/zkmesh/services"}
	if got := r.Prefixes(); !reflect.DeepEqual(got, want) {
		t.Fatalf("prefixes = %v", got)
	}
	for _, p := range []string{"/brokers/ids/1", "/controller", "/services/a/b"} {
		if r.Relevant(p) {
			t.Errorf("Relevant(%q) with a chroot/base path", p)
		}
	}
	r.Put("/kafka/brokers/ids/1", []byte(`{"endpoints":["PLAINTEXT://k:9092"]}`), 1)
	r.Put("/kafka/controller", []byte(`{"brokerid":1}`), 2)
	r.Put("/discovery/prod/orders/i1", []byte(`{"address":"h","port":1}`), 3)
	if pr := r.Malformed(); len(pr) != 0 {
		t.Fatal(pr)
	}
	v := r.View()
	if s := v.Service("kafka-plaintext"); s == nil || s.Endpoints[0].Metadata[KafkaControllerKey] != "true" {
		t.Fatalf("kafka under chroot: %+v", s)
	}
	if s := v.Service("orders"); s == nil || s.Layout != LayoutCurator {
		t.Fatalf("curator under base path: %+v", s)
	}
}

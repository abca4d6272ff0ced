package envoy_test

// The bootstrap is checked the way Envoy would load it: YAML to JSON to the
// v3 Bootstrap proto (typed configs resolved), then protoc-gen-validate's
// rules, which Envoy also enforces.

import (
	"encoding/json"
	"os"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"gopkg.in/yaml.v3"
)

func TestBootstrapIsValid(t *testing.T) {
	raw, err := os.ReadFile("bootstrap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(js, &b); err != nil {
		t.Fatalf("not an Envoy v3 bootstrap: %v", err)
	}
	if err := b.ValidateAll(); err != nil {
		t.Fatalf("Envoy would reject it: %v", err)
	}
	// Typed configs are opaque to ValidateAll: validate each one too.
	type validator interface{ ValidateAll() error }
	for _, l := range b.GetStaticResources().GetListeners() {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				m, err := f.GetTypedConfig().UnmarshalNew()
				if err != nil {
					t.Fatalf("filter %s: %v", f.GetName(), err)
				}
				if err := m.(validator).ValidateAll(); err != nil {
					t.Fatalf("filter %s: Envoy would reject it: %v", f.GetName(), err)
				}
			}
		}
	}
	ads := b.GetDynamicResources().GetAdsConfig()
	if ads.GetGrpcServices()[0].GetEnvoyGrpc().GetClusterName() != "zkmesh_xds" || b.GetDynamicResources().GetCdsConfig().GetAds() == nil {
		t.Fatalf("ADS not wired to the zkmesh_xds cluster: %v", b.GetDynamicResources())
	}
	var port uint32
	for _, c := range b.GetStaticResources().GetClusters() {
		if c.GetName() == "zkmesh_xds" {
			port = c.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress().GetPortValue()
		}
	}
	if port != 18000 {
		t.Fatalf("zkmesh_xds points at port %d, want 18000", port)
	}
}

package znode

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/zkmesh/zkmesh/jute"
)

func TestDigestID(t *testing.T) {
	// "super:test" is the example in ZooKeeper's admin guide; the others are
	// base64(sha1(input)) computed independently.
	tests := map[string]string{
		"super:test": "super:D/InIHSb7yEEbrWz8b9l71RjZJU=",
		"bob:secret": "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=",
		"user:":      "user:kd7q5xGKLW+18xQTfO8iqRaFvsM=",
	}
	for in, want := range tests {
		if got := DigestID(in); got != want {
			t.Errorf("DigestID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckACL(t *testing.T) {
	digestACL := []jute.ACL{{Perms: jute.PermRead | jute.PermWrite, ID: bobID}}
	ipACL := []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: SchemeIP, ID: "10.1.0.0/16"}}, {Perms: jute.PermWrite, ID: jute.Id{Scheme: SchemeIP, ID: "127.0.0.1"}}}
	tests := []struct {
		name string
		acl  []jute.ACL
		perm jute.Perm
		ids  []jute.Id
		want bool
	}{
		{"empty ACL grants all", nil, jute.PermAdmin, nil, true},
		{"world anyone", jute.OpenACLUnsafe, jute.PermDelete, nil, true},
		{"world read only", jute.ReadACLUnsafe, jute.PermWrite, nil, false},
		{"world read only, read", jute.ReadACLUnsafe, jute.PermRead, nil, true},
		{"any of the bits", jute.ReadACLUnsafe, jute.PermRead | jute.PermAdmin, nil, true},
		{"super", digestACL, jute.PermAdmin, []jute.Id{superID}, true},
		{"digest match", digestACL, jute.PermWrite, []jute.Id{ipID, bobID}, true},
		{"digest wrong perm", digestACL, jute.PermAdmin, []jute.Id{bobID}, false},
		{"digest other user", digestACL, jute.PermRead, []jute.Id{aliceID}, false},
		{"scheme must match", digestACL, jute.PermRead, []jute.Id{{Scheme: SchemeIP, ID: bobID.ID}}, false},
		{"ip in range", ipACL, jute.PermRead, []jute.Id{{Scheme: SchemeIP, ID: "10.1.200.3"}}, true},
		{"ip out of range", ipACL, jute.PermRead, []jute.Id{{Scheme: SchemeIP, ID: "10.2.0.1"}}, false},
		{"ip exact", ipACL, jute.PermWrite, []jute.Id{ipID}, true},
		{"ip exact other", ipACL, jute.PermWrite, []jute.Id{{Scheme: SchemeIP, ID: "127.0.0.2"}}, false},
		{"ip garbage", ipACL, jute.PermWrite, []jute.Id{{Scheme: SchemeIP, ID: "localhost"}}, false},
		{"no ids", digestACL, jute.PermRead, nil, false},
		// IPAuthenticationProvider.matches: IPv4 only, Java integer parts.
		{"ip with leading zeros", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: SchemeIP, ID: "010.000.000.001"}}}, jute.PermRead, []jute.Id{{Scheme: SchemeIP, ID: "10.0.0.1"}}, true},
		{"ip prefix 0 matches all", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: SchemeIP, ID: "10.0.0.1/0"}}}, jute.PermRead, []jute.Id{{Scheme: SchemeIP, ID: "192.168.1.1"}}, true},
		{"ip /17 inside", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: SchemeIP, ID: "10.1.0.0/17"}}}, jute.PermRead, []jute.Id{{Scheme: SchemeIP, ID: "10.1.127.255"}}, true},
		{"ip /17 outside", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: SchemeIP, ID: "10.1.0.0/17"}}}, jute.PermRead, []jute.Id{{Scheme: SchemeIP, ID: "10.1.128.0"}}, false},
		{"ipv6 never matches", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: SchemeIP, ID: "::1"}}}, jute.PermRead, []jute.Id{{Scheme: SchemeIP, ID: "::1"}}, false},
		{"v4-mapped client does not match", ipACL, jute.PermRead, []jute.Id{{Scheme: SchemeIP, ID: "::ffff:10.1.2.3"}}, false},
		{"unknown scheme never matches", []jute.ACL{{Perms: jute.PermAll, ID: jute.Id{Scheme: "x509", ID: "CN=a"}}}, jute.PermRead, []jute.Id{{Scheme: "x509", ID: "CN=a"}}, false},
	}
	for _, tc := range tests {
		if got := CheckACL(tc.acl, tc.perm, tc.ids); got != tc.want {
			t.Errorf("%s: CheckACL = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestFixupACL(t *testing.T) {
	open := jute.ACL{Perms: jute.PermAll, ID: jute.AnyoneID}
	tests := []struct {
		name string
		acl  []jute.ACL
		auth []jute.Id
		want []jute.ACL // nil: InvalidACL
	}{
		{"open", []jute.ACL{open}, nil, []jute.ACL{open}},
		{"duplicates removed", []jute.ACL{open, open}, nil, []jute.ACL{open}},
		{"auth expands to every authenticated id", jute.CreatorAllACL, []jute.Id{ipID, bobID, aliceID}, []jute.ACL{{Perms: jute.PermAll, ID: bobID}, {Perms: jute.PermAll, ID: aliceID}}},
		{"auth keeps its perms", []jute.ACL{{Perms: jute.PermRead, ID: jute.AuthIDs}}, []jute.Id{bobID}, []jute.ACL{{Perms: jute.PermRead, ID: bobID}}},
		{"auth id text is ignored", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "auth", ID: "whatever"}}}, []jute.Id{bobID}, []jute.ACL{{Perms: jute.PermRead, ID: bobID}}},
		{"auth without authenticated ids", jute.CreatorAllACL, []jute.Id{ipID, superID}, nil},
		{"digest kept as given", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: "u:h"}}}, nil, []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: "u:h"}}}},
		// Java's "u:h:".split(":") is ["u", "h"], "u:".split(":") is ["u"].
		{"digest trailing colon", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: "u:h:"}}}, nil, []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: "u:h:"}}}},
		{"digest empty user", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: ":h"}}}, nil, []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: ":h"}}}},
		{"digest empty hash", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: "u:"}}}, nil, nil},
		{"digest only colons", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: "::"}}}, nil, nil},
		{"digest empty", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: ""}}}, nil, nil},
		{"ip", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "10.0.0.0/8"}}}, nil, []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "10.0.0.0/8"}}}},
		{"ip bad", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "10.0.0/8"}}}, nil, nil},
		{"ip leading zeros and signs", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "010.+1.-0.1/08"}}}, nil, []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "010.+1.-0.1/08"}}}},
		{"ip prefix 0", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "1.2.3.4/0"}}}, nil, []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "1.2.3.4/0"}}}},
		{"ipv6", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "::1"}}}, nil, nil},
		{"ipv6 range", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "fe80::/10"}}}, nil, nil},
		{"ip part too large", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "1.2.3.256"}}}, nil, nil},
		{"ip empty part", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "1..3.4"}}}, nil, nil},
		{"ip empty prefix", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "1.2.3.4/"}}}, nil, nil},
		{"ip negative prefix", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "1.2.3.4/-1"}}}, nil, nil},
		{"ip two prefixes", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "ip", ID: "1.2.3.4/8/8"}}}, nil, nil},
		{"world other", []jute.ACL{{Perms: jute.PermRead, ID: jute.Id{Scheme: "world", ID: "x"}}}, nil, nil},
		{"empty", []jute.ACL{}, nil, nil},
		{"nil", nil, nil, nil},
	}
	for _, tc := range tests {
		got, err := FixupACL(tc.acl, tc.auth)
		if tc.want == nil {
			if !errors.Is(err, ErrInvalidACL) {
				t.Errorf("%s: FixupACL = %v, %v; want ErrInvalidACL", tc.name, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: FixupACL = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestHideDigests(t *testing.T) {
	in := []jute.ACL{
		{Perms: jute.PermAll, ID: bobID},
		{Perms: jute.PermRead, ID: jute.AnyoneID},
		{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: "nocolon"}},
		{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: "a:b:c"}},
		{Perms: jute.PermRead, ID: ipID},
	}
	keep := append([]jute.ACL(nil), in...)
	got := HideDigests(in)
	want := []jute.ACL{
		{Perms: jute.PermAll, ID: jute.Id{Scheme: "digest", ID: "bob:x"}},
		{Perms: jute.PermRead, ID: jute.AnyoneID},
		{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: "nocolon"}},
		{Perms: jute.PermRead, ID: jute.Id{Scheme: "digest", ID: "a:x"}},
		{Perms: jute.PermRead, ID: ipID},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("HideDigests = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(in, keep) {
		t.Fatal("HideDigests changed its argument")
	}
}

func TestValidatePath(t *testing.T) {
	valid := []string{"/", "/a", "/a/b", "/a.b", "/...", "/.a", "/a.", "/a/..b", "/zookeeper", "/\u00e9t\u00e9", "/\u4e2d", "/a b", "/\u00a0", "/\ufeff"}
	invalid := []string{"", "a", "a/b", "/a/", "//", "/a//b", "/.", "/..", "/a/.", "/a/./b", "/a/../b", "/a\x00", "/\x1f", "/\x7f", "/\u009f", "/\ud7ff\ue000", "/\uf8ff", "/\ufff0", "/\uffff", "/\U00010000", "/\xc3"}
	for _, p := range valid {
		if err := ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range invalid {
		if err := ValidatePath(p); !errors.Is(err, ErrBadArguments) {
			t.Errorf("ValidatePath(%q) = %v, want ErrBadArguments", p, err)
		}
	}
	if err := ValidatePath("/" + strings.Repeat("a", 1<<16)); err != nil {
		t.Errorf("long path: %v", err)
	}
}

func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"/", "/a/b", "/a/../b", "/\x00", "/\ue000", "//", "/."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := ValidatePath(p)
		if err != nil && !errors.Is(err, ErrBadArguments) {
			t.Fatalf("ValidatePath(%q) = %v", p, err)
		}
		if err == nil && p != "/" {
			if p[0] != '/' || strings.HasSuffix(p, "/") || strings.Contains(p, "//") || strings.ContainsRune(p, 0) {
				t.Fatalf("accepted %q", p)
			}
			parent, name := splitPath(p)
			if name == "" || childPath(parent, name) != p {
				t.Fatalf("splitPath(%q) = %q, %q", p, parent, name)
			}
		}
	})
}

package znode

import (
	"strings"
	"unicode/utf8"
)

// ValidatePath reports whether p is a legal znode path, by ZooKeeper's
// PathUtils.validatePath rules: absolute, no empty, "." or ".." segments, no
// trailing slash except for the root, and no disallowed characters.
func ValidatePath(p string) error {
	if p == "" || p[0] != '/' {
		return ErrBadArguments
	}
	if p == "/" {
		return nil
	}
	if p[len(p)-1] == '/' {
		return ErrBadArguments
	}
	if !utf8.ValidString(p) {
		return ErrBadArguments
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return ErrBadArguments
		}
	}
	for _, r := range p {
		switch {
		case r == 0:
			return ErrBadArguments
		case r > 0 && r <= 0x1f, r >= 0x7f && r <= 0x9f:
			return ErrBadArguments
		case r >= 0xd800 && r <= 0xf8ff, r >= 0xfff0:
			// Java sees runes above U+FFFF as surrogate pairs, which it refuses.
			return ErrBadArguments
		}
	}
	return nil
}

// splitPath returns the parent path and the last segment of p. The parent of
// a top-level node is "/". p must contain a slash.
func splitPath(p string) (parent, name string) {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/", p[i+1:]
	}
	return p[:i], p[i+1:]
}

// parentForCreate mirrors ZooKeeper's validatePathForCreate: the path must
// contain a slash and no NUL byte.
func parentForCreate(p string) (string, error) {
	if !containsSlash(p) || containsNUL(p) {
		return "", ErrBadArguments
	}
	parent, _ := splitPath(p)
	return parent, nil
}

func containsSlash(p string) bool { return strings.IndexByte(p, '/') >= 0 }

func containsNUL(p string) bool { return strings.IndexByte(p, 0) >= 0 }

// isSpecialPath reports whether p is the root or a system node
// (DataTree.isSpecialPath).
func isSpecialPath(p string) bool {
	return p == "/" || p == ZookeeperPath || p == QuotaPath || p == ConfigPath
}

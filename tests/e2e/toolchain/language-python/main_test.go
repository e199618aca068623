package main

import "testing"

// The cases of the real host's determinePluginVersion documentation.
func TestPluginVersion(t *testing.T) {
	for in, want := range map[string]string{
		"1":                  "1.0.0",
		"1.0":                "1.0.0",
		"4.21.4":             "4.21.4",
		"1.2.3.4":            "1.2.3.4",
		"1.2.3a4":            "1.2.3-alpha.4",
		"1.2.3b4":            "1.2.3-beta.4",
		"1.2.3rc4":           "1.2.3-rc.4",
		"1.2.3.post4":        "1.2.3+post4",
		"1.2.3.dev5":         "1.2.3+dev5",
		"1.2.3.post4.dev5":   "1.2.3+post4dev5",
		"3.31.0a1605189729":  "3.31.0-alpha.1605189729",
		"2.14.0rc1605583329": "2.14.0-rc.1605583329",
		"1.2.3a4.post5.dev6": "1.2.3-alpha.4+post5dev6",
	} {
		if got, ok := pluginVersion(in); !ok || got != want {
			t.Errorf("pluginVersion(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "1!2.0", "1.2.3+local", "x1.2"} {
		if got, ok := pluginVersion(in); ok {
			t.Errorf("pluginVersion(%q) = %q; want no version", in, got)
		}
	}
}

// Package shim exposes the upstream random provider (internal/provider.New, a
// terraform-plugin-framework provider), as pulumi-random's shim module does.
package shim

import (
	tfpf "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the upstream plugin-framework provider.
func NewProvider() tfpf.Provider {
	return provider.New()
}

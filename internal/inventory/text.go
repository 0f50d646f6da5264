package inventory

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the inventory for people: one block per function.
func (inv *Inventory) WriteText(w io.Writer) error {
	var b strings.Builder
	for i, f := range inv.Functions {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s (%s) at %s:%d\n", f.Name, f.Type, f.Location.File, f.Location.Line)
		if f.Framework != "" {
			fmt.Fprintf(&b, "  framework-owned: %s\n", f.Framework)
		}
		if f.CDKPath != "" {
			fmt.Fprintf(&b, "  cdk path: %s\n", f.CDKPath)
		}
		fmt.Fprintf(&b, "  runtime: %s  handler: %s\n", orDash(f.Runtime), orDash(f.Handler))
		if r := f.Role; r != nil {
			ext := ""
			if r.External {
				ext = " (defined outside the templates)"
			}
			fmt.Fprintf(&b, "  role: %s%s\n", r.Name, ext)
			if len(r.SharedWith) > 0 {
				fmt.Fprintf(&b, "    shared with: %s\n", compactList(r.SharedWith))
			}
			for _, m := range r.ManagedPolicies {
				fmt.Fprintf(&b, "    managed policy: %s\n", m)
			}
			for _, p := range r.Policies {
				fmt.Fprintf(&b, "    policy %s (%s) at line %d:\n", p.Name, p.Kind, p.Location.Line)
				for _, s := range p.Statements {
					fmt.Fprintf(&b, "      %s\n", compactJSON(s))
				}
			}
			if r.PermissionsBoundary != "" {
				fmt.Fprintf(&b, "    permissions boundary: %s\n", r.PermissionsBoundary)
			}
		} else {
			b.WriteString("  role: -\n")
		}
		for _, r := range f.Routes {
			key := ""
			if r.APIKeyRequired {
				key = " +api key"
			}
			fmt.Fprintf(&b, "  route: %s %s %s via %s, auth %s%s\n", r.Kind, r.Method, r.Path, r.API, r.Auth, key)
		}
		for _, u := range f.URLs {
			fmt.Fprintf(&b, "  function URL: auth %s\n", u.AuthType)
		}
		for _, p := range f.Permissions {
			fmt.Fprintf(&b, "  invoke permission: %s may %s", p.Principal, p.Action)
			if p.SourceArn != "" {
				fmt.Fprintf(&b, " from %s", p.SourceArn)
			}
			b.WriteString("\n")
		}
		for _, s := range f.EventSources {
			fmt.Fprintf(&b, "  event source: %s %s\n", s.Kind, s.Source)
		}
		if len(f.Environment) > 0 {
			names := make([]string, len(f.Environment))
			for i, e := range f.Environment {
				names[i] = e.Name
				if e.Value != Redacted {
					names[i] += "=" + e.Value
				}
			}
			fmt.Fprintf(&b, "  environment: %s\n", strings.Join(names, ", "))
		}
		if v := f.VPC; v != nil {
			fmt.Fprintf(&b, "  vpc: subnets %s; security groups %s\n", compactList(v.Subnets), compactList(v.SecurityGroups))
		} else {
			b.WriteString("  vpc: not in a VPC\n")
		}
	}
	if len(inv.Functions) == 0 {
		b.WriteString("no functions found\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

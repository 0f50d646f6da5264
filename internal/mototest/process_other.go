//go:build !unix

package mototest

import "os/exec"

func configureProcess(*exec.Cmd) {}

func stopProcess(cmd *exec.Cmd) {
	_ = cmd.Process.Kill()
}

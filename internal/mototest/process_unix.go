//go:build unix && !linux

package mototest

import (
	"os/exec"
	"syscall"
)

// configureProcess puts moto_server in its own process group, so that
// stopProcess also reaches any process it starts.
func configureProcess(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func stopProcess(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

package mototest

import (
	"os/exec"
	"syscall"
)

// configureProcess puts moto_server in its own process group, so that
// stopProcess also reaches any process it starts, and asks the kernel to kill
// it if the test binary dies without running Main's cleanup.
func configureProcess(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func stopProcess(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

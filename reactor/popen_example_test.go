package reactor_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/evmachine/evmachine/reactor"
)

// A child process as a connection (EM.popen): what is written goes to its
// stdin, its stdout comes to ReceiveData, CloseWrite gives it EOF, and
// Unbind runs once it has exited with its exit status (nil for 0).
func ExampleReactor_Popen() {
	err := reactor.Run(func(r *reactor.Reactor) error {
		var out []byte
		c, err := r.Popen(exec.Command("tr", "a-z", "A-Z"), reactor.HandlerFuncs{
			OnReceiveData: func(_ *reactor.Conn, data []byte) { out = append(out, data...) },
			OnUnbind: func(_ *reactor.Conn, reason error) {
				fmt.Printf("%s, exit: %v\n", out, reason)
				r.Stop()
			},
		})
		if err != nil {
			return err
		}
		c.WriteString("shout this")
		return c.CloseWrite()
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: SHOUT THIS, exit: <nil>
}

// A file watch (EM.watch_file): a log tailer would read the new bytes in
// FileModified and reopen the path in FileMoved or FileDeleted.
func ExampleReactor_WatchFile() {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("evmachine-example-%d.log", os.Getpid()))
	if err := os.WriteFile(path, []byte("first line\n"), 0o600); err != nil {
		fmt.Println(err)
		return
	}
	err := reactor.Run(func(r *reactor.Reactor) error {
		_, err := r.WatchFile(path, reactor.FileWatcherFuncs{
			OnModified: func(*reactor.FileWatch) { fmt.Println("modified") },
			OnDeleted:  func(*reactor.FileWatch) { fmt.Println("deleted") },
			OnUnbind: func(_ *reactor.FileWatch, reason error) {
				fmt.Println("watch ended:", reason)
				r.Stop()
			},
		})
		if err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		f.WriteString("second line\n")
		f.Close()
		return os.Remove(path)
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// modified
	// deleted
	// watch ended: <nil>
}

// A process watch (EM.watch_process, on Linux too): the exit of any
// process, with its status when it is an unreaped child of this one.
func ExampleReactor_WatchProcess() {
	cmd := exec.Command("sh", "-c", "sleep 0.1; exit 2")
	if err := cmd.Start(); err != nil {
		fmt.Println(err)
		return
	}
	err := reactor.Run(func(r *reactor.Reactor) error {
		_, err := r.WatchProcess(cmd.Process.Pid, reactor.ProcessWatcherFuncs{
			OnExited: func(_ *reactor.ProcessWatch, st reactor.ProcessStatus) { fmt.Println("exited:", st) },
			OnUnbind: func(*reactor.ProcessWatch, error) { r.Stop() },
		})
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	cmd.Wait() // the watch did not reap it
	fmt.Println("cmd.Wait:", cmd.ProcessState)
	// Output:
	// exited: exit status 2
	// cmd.Wait: exit status 2
}

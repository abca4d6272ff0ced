package zktest

import (
	"fmt"
	"io"
	"net"
	"time"
)

// FourLetter sends a four-letter word (ruok, srvr, stat, mntr, ...) to addr
// and returns the whole answer. The server closes the connection after
// answering; a 5 s deadline bounds the exchange.
func FourLetter(addr, cmd string) (string, error) {
	if len(cmd) != 4 {
		return "", fmt.Errorf("zktest: four-letter word %q is not 4 letters", cmd)
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return "", err
	}
	if _, err := io.WriteString(c, cmd); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	if err != nil && len(b) == 0 {
		return "", err
	}
	return string(b), nil
}

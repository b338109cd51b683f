// Independent verifier of deconflict's transparency log, built from Debian's
// copy of golang.org/x/mod (sumdb/note, sumdb/tlog: the Go checksum
// database's own code). Reads gen_tlog's lines (or, with -http, fetches a
// live server's key, checkpoint and proofs) and checks every signature,
// every tree hash against tlog.TreeHash, and every inclusion and
// consistency proof with tlog.CheckRecord and tlog.CheckTree; and witness
// cosignatures (C2SP tlog-cosignature) with crypto/ed25519.
package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type hashes []tlog.Hash

func (h hashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(h)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = h[x]
	}
	return out, nil
}

func fail(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "gocheck: "+f+"\n", a...)
	os.Exit(1)
}

func parseProof(s string) []tlog.Hash {
	if s == "-" {
		return nil
	}
	var p []tlog.Hash
	for _, x := range strings.Split(s, ",") {
		b, err := hex.DecodeString(x)
		if err != nil || len(b) != 32 {
			fail("bad proof hash %q", x)
		}
		var h tlog.Hash
		copy(h[:], b)
		p = append(p, h)
	}
	return p
}

// parseCheckpoint reads a C2SP tlog-checkpoint body. x/mod v0.7.0's
// tlog.ParseTree knows only the sumdb's fixed first line "go.sum database
// tree"; C2SP puts the log's origin there (and the note is signed by a key of
// that name). So the origin is checked against the signer's name here and the
// rest (size, base64 root) is handed to tlog.ParseTree under the sumdb line.
func parseCheckpoint(nt *note.Note) tlog.Tree {
	lines := strings.SplitN(nt.Text, "\n", 2)
	if len(lines) != 2 || len(nt.Sigs) == 0 || lines[0] != nt.Sigs[0].Name {
		fail("checkpoint origin %q is not the signer's name", lines[0])
	}
	tree, err := tlog.ParseTree([]byte("go.sum database tree\n" + lines[1]))
	if err != nil {
		fail("tlog.ParseTree: %v\n%s", err, nt.Text)
	}
	return tree
}

// checkCosignature checks a witness's C2SP tlog-cosignature (Ed25519,
// cosignature/v1) on a signed note with Go's own crypto/ed25519: x/mod
// v0.7.0's note.NewVerifier takes only algorithm 0x01 keys, not 0x04.
func checkCosignature(vkey string, msg []byte) {
	f := strings.SplitN(vkey, "+", 3)
	if len(f) != 3 {
		fail("bad cosigner key %q", vkey)
	}
	raw, err := base64.StdEncoding.DecodeString(f[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		fail("cosigner key %q: not type 0x04", vkey)
	}
	if _, err := note.NewVerifier(vkey); err == nil {
		fmt.Println("gocheck: x/mod note accepts a type 0x04 key")
	}
	id := sha256.Sum256(append([]byte(f[0]+"\n"), raw...))
	if fmt.Sprintf("%x", id[:4]) != f[1] {
		fail("cosigner key id %s is not SHA-256(name || \"\\n\" || 0x04 || key)[:4]", f[1])
	}
	text, sigs, ok := bytes.Cut(msg, []byte("\n\n"))
	if !ok {
		fail("no signature block")
	}
	for _, line := range strings.Split(string(sigs), "\n") {
		if !strings.HasPrefix(line, "\u2014 "+f[0]+" ") {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(line, "\u2014 "+f[0]+" "))
		if err != nil || len(sig) != 76 || fmt.Sprintf("%x", sig[:4]) != f[1] {
			continue
		}
		t := binary.BigEndian.Uint64(sig[4:12])
		signed := []byte(fmt.Sprintf("cosignature/v1\ntime %d\n%s\n", t, text))
		if !ed25519.Verify(ed25519.PublicKey(raw[1:]), signed, sig[12:]) {
			fail("cosignature by %s does not verify", f[0])
		}
		return
	}
	fail("no cosignature by %s", f[0])
}

func main() {
	var (
		verifier note.Verifiers
		stored   hashes
		n        int64
		logs     int
		checks   int
		roots    = map[int64]tlog.Hash{}
	)
	// rootOf: a signed root when the leaves are not known (a live server's
	// log, seen as an operator sees it), else tlog.TreeHash of the leaves.
	rootOf := func(size int64) tlog.Hash {
		if h, ok := roots[size]; ok && n == 0 {
			return h
		}
		if n == 0 {
			fail("no signed checkpoint of size %d", size)
		}
		th, err := tlog.TreeHash(size, stored)
		if err != nil {
			fail("TreeHash(%d): %v", size, err)
		}
		return th
	}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "log":
			v, err := note.NewVerifier(f[1])
			if err != nil {
				fail("verifier key %q: %v", f[1], err)
			}
			verifier = note.VerifierList(v)
			stored, n, roots = nil, 0, map[int64]tlog.Hash{}
			logs++
		case "leaf":
			data, err := hex.DecodeString(f[1])
			if err != nil {
				fail("bad leaf")
			}
			hs, err := tlog.StoredHashes(n, data, stored)
			if err != nil {
				fail("StoredHashes: %v", err)
			}
			stored = append(stored, hs...)
			n++
		case "cp":
			msg, err := base64.StdEncoding.DecodeString(f[1])
			if err != nil {
				fail("bad cp line")
			}
			nt, err := note.Open(msg, verifier)
			if err != nil {
				fail("note.Open: %v\n%s", err, msg)
			}
			tree := parseCheckpoint(nt)
			if n == 0 {
				if old, ok := roots[tree.N]; ok && old != tree.Hash {
					fail("fork: two signed roots for size %d", tree.N)
				}
				roots[tree.N] = tree.Hash
				checks++
				continue
			}
			if tree.N > n {
				fail("checkpoint size %d beyond %d leaves", tree.N, n)
			}
			if tree.Hash != rootOf(tree.N) {
				fail("checkpoint root of size %d differs from tlog.TreeHash", tree.N)
			}
			checks++
		case "incl", "inclh", "cons":
			a, _ := strconv.ParseInt(f[1], 10, 64)
			b, _ := strconv.ParseInt(f[2], 10, 64)
			p := parseProof(f[len(f)-1])
			if f[0] == "incl" || f[0] == "inclh" {
				var leaf tlog.Hash
				if f[0] == "inclh" { // "inclh I N LEAFHASH PROOF": a receipt's own leaf
					lh := parseProof(f[3])
					if len(lh) != 1 {
						fail("bad leaf hash")
					}
					leaf = lh[0]
				} else {
					leaf = stored[tlog.StoredHashIndex(0, a)]
				}
				if err := tlog.CheckRecord(tlog.RecordProof(p), b, rootOf(b), a, leaf); err != nil {
					fail("CheckRecord(%d in %d): %v", a, b, err)
				}
			} else if err := tlog.CheckTree(tlog.TreeProof(p), b, rootOf(b), a, rootOf(a)); err != nil {
				fail("CheckTree(%d -> %d): %v", a, b, err)
			}
			checks++
		case "cosig": // "cosig VKEY BASE64(NOTE)": a witness's cosignature
			msg, err := base64.StdEncoding.DecodeString(f[2])
			if err != nil {
				fail("bad cosig line")
			}
			checkCosignature(f[1], msg)
			checks++
		case "end":
		default:
			fail("unknown line %q", f[0])
		}
	}
	if err := sc.Err(); err != nil {
		fail("reading: %v", err)
	}
	fmt.Printf("gocheck: %d logs, %d checks passed\n", logs, checks)
}

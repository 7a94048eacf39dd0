// Command tlog_check checks a transparency log's checkpoint, proofs and tiles
// with Go's reference packages (golang.org/x/mod/sumdb/note and tlog), and
// answers with its own proofs and a note it signed, for the other side to check.
// It reads one JSON document on stdin and writes one on stdout.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Proof []string `json:"proof"`
}

type consistency struct {
	Old   int64    `json:"old"`
	New   int64    `json:"new"`
	Proof []string `json:"proof"`
}

type input struct {
	Vkey        string            `json:"vkey"`
	Checkpoint  string            `json:"checkpoint"`
	Leaves      []string          `json:"leaves"`
	Inclusion   []inclusion       `json:"inclusion"`
	Consistency []consistency     `json:"consistency"`
	Tiles       map[string]string `json:"tiles"`
}

type output struct {
	Errors        []string   `json:"errors"`
	Checked       []string   `json:"checked"`
	Origin        string     `json:"origin"`
	Size          int64      `json:"size"`
	GoInclusion   [][]string `json:"go_inclusion"`
	GoConsistency [][]string `json:"go_consistency"`
	GoVkey        string     `json:"go_vkey"`
	GoNote        string     `json:"go_note"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := check(in)
	json.NewEncoder(os.Stdout).Encode(out)
}

func check(in input) output {
	out := output{Errors: []string{}, Checked: []string{}}
	fail := func(format string, args ...any) { out.Errors = append(out.Errors, fmt.Sprintf(format, args...)) }

	verifier, err := note.NewVerifier(in.Vkey)
	if err != nil {
		fail("vkey: %v", err)
		return out
	}
	n, err := note.Open([]byte(in.Checkpoint), note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint note: %v", err)
		return out
	}
	out.Checked = append(out.Checked, "note signature")
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail("checkpoint body has %d lines", len(lines))
		return out
	}
	out.Origin = lines[0]
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("size: %v", err)
		return out
	}
	out.Size = size
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		fail("root hash: %v", err)
		return out
	}
	var root tlog.Hash
	copy(root[:], rootBytes)

	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		hashes := make([]tlog.Hash, len(indexes))
		for i, index := range indexes {
			if index >= int64(len(stored)) {
				return nil, fmt.Errorf("hash %d not stored", index)
			}
			hashes[i] = stored[index]
		}
		return hashes, nil
	})
	leaves := make([][]byte, len(in.Leaves))
	for i, leaf := range in.Leaves {
		leaves[i], _ = base64.StdEncoding.DecodeString(leaf)
		hashes, err := tlog.StoredHashes(int64(i), leaves[i], reader)
		if err != nil {
			fail("storing leaf %d: %v", i, err)
			return out
		}
		stored = append(stored, hashes...)
	}
	treeHash := func(n int64) tlog.Hash {
		h, err := tlog.TreeHash(n, reader)
		if err != nil {
			fail("tree hash %d: %v", n, err)
		}
		return h
	}
	if treeHash(size) != root {
		fail("the root hash of the %d leaves is not the checkpoint's", size)
	} else {
		out.Checked = append(out.Checked, "root hash")
	}

	for _, p := range in.Inclusion {
		proof, err := decodeHashes(p.Proof)
		if err != nil {
			fail("inclusion proof: %v", err)
			continue
		}
		leafHash := tlog.RecordHash(leaves[p.Index])
		if err := tlog.CheckRecord(tlog.RecordProof(proof), p.Size, treeHash(p.Size), p.Index, leafHash); err != nil {
			fail("inclusion of %d in %d: %v", p.Index, p.Size, err)
		} else {
			out.Checked = append(out.Checked, fmt.Sprintf("inclusion %d in %d", p.Index, p.Size))
		}
		own, err := tlog.ProveRecord(p.Size, p.Index, reader)
		if err != nil {
			fail("proving %d in %d: %v", p.Index, p.Size, err)
		}
		out.GoInclusion = append(out.GoInclusion, encodeHashes(own))
	}

	for _, p := range in.Consistency {
		proof, err := decodeHashes(p.Proof)
		if err != nil {
			fail("consistency proof: %v", err)
			continue
		}
		if err := tlog.CheckTree(tlog.TreeProof(proof), p.New, treeHash(p.New), p.Old, treeHash(p.Old)); err != nil {
			fail("consistency of %d with %d: %v", p.Old, p.New, err)
		} else {
			out.Checked = append(out.Checked, fmt.Sprintf("consistency %d to %d", p.Old, p.New))
		}
		own, err := tlog.ProveTree(p.New, p.Old, reader)
		if err != nil {
			fail("proving %d to %d: %v", p.Old, p.New, err)
		}
		out.GoConsistency = append(out.GoConsistency, encodeHashes(own))
	}

	for path, data := range in.Tiles {
		// C2SP tile paths omit the height Go's sumdb paths carry (always 8 here).
		tile, err := tlog.ParseTilePath("tile/8/" + strings.TrimPrefix(path, "tile/"))
		if err != nil {
			fail("tile path %s: %v", path, err)
			continue
		}
		want, err := tlog.ReadTileData(tile, reader)
		if err != nil {
			fail("tile %s: %v", path, err)
			continue
		}
		got, _ := base64.StdEncoding.DecodeString(data)
		if string(got) != string(want) {
			fail("tile %s differs from Go's", path)
		} else {
			out.Checked = append(out.Checked, "tile "+path)
		}
	}

	skey, vkey, err := note.GenerateKey(nil, "go.example/witness")
	if err != nil {
		fail("generate key: %v", err)
		return out
	}
	signer, _ := note.NewSigner(skey)
	signed, err := note.Sign(&note.Note{Text: n.Text}, signer)
	if err != nil {
		fail("sign: %v", err)
	}
	out.GoVkey, out.GoNote = vkey, string(signed)
	return out
}

func decodeHashes(encoded []string) ([]tlog.Hash, error) {
	hashes := make([]tlog.Hash, len(encoded))
	for i, e := range encoded {
		b, err := base64.StdEncoding.DecodeString(e)
		if err != nil || len(b) != tlog.HashSize {
			return nil, fmt.Errorf("hash %d is not 32 bytes of base64", i)
		}
		copy(hashes[i][:], b)
	}
	return hashes, nil
}

func encodeHashes(hashes []tlog.Hash) []string {
	encoded := make([]string, len(hashes))
	for i, h := range hashes {
		encoded[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return encoded
}

package fetch

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/machnix/machnix/resolve"
)

// errNoRanges means the server does not answer range requests.
var errNoRanges = errors.New("the server does not accept range requests")

// httpReaderAt reads byte ranges of a remote file, so archive/zip can read a
// wheel's central directory and one entry without the whole download.
type httpReaderAt struct {
	ctx  context.Context
	c    *Client
	url  string
	size int64
}

func (r *httpReaderAt) ReadAt(p []byte, off int64) (int, error) {
	return retryTimeout(r.ctx, func() (int, error) { return r.readAtOnce(p, off) })
}

func (r *httpReaderAt) readAtOnce(p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	end := off + int64(len(p)) - 1
	if end >= r.size {
		end = r.size - 1
	}
	req, err := http.NewRequestWithContext(r.ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return 0, fmt.Errorf("%s: bad URL: %w", Redact(r.url), urlErr(err))
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, end))
	r.c.authorize(req)
	resp, err := r.c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: range read: %w", Redact(r.url), urlErr(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent {
		return 0, fmt.Errorf("%s: server answered a range request with HTTP %d", Redact(r.url), resp.StatusCode)
	}
	n, err := io.ReadFull(resp.Body, p[:end-off+1])
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

// remoteSize learns a file's size and whether the server takes ranges.
func (c *Client) remoteSize(ctx context.Context, u string) (int64, bool, error) {
	type result struct {
		n  int64
		ok bool
	}
	r, err := retryTimeout(ctx, func() (result, error) {
		n, ok, err := c.remoteSizeOnce(ctx, u)
		return result{n, ok}, err
	})
	return r.n, r.ok, err
}

func (c *Client) remoteSizeOnce(ctx context.Context, u string) (int64, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	if err != nil {
		return 0, false, fmt.Errorf("%s: bad URL: %w", Redact(u), urlErr(err))
	}
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, false, fmt.Errorf("%s: %w", Redact(u), urlErr(err))
	}
	resp.Body.Close()
	n, _ := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	return n, resp.StatusCode == http.StatusOK && resp.Header.Get("Accept-Ranges") == "bytes" && n > 0, nil
}

// wheelMetadataByRange reads only the METADATA entry of a remote wheel.
func (c *Client) wheelMetadataByRange(ctx context.Context, file resolve.File) (*resolve.Metadata, error) {
	size, ok, err := c.remoteSize(ctx, file.URL)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w", Redact(file.URL), errNoRanges)
	}
	zr, err := zip.NewReader(&httpReaderAt{ctx: ctx, c: c, url: file.URL, size: size}, size)
	if err != nil {
		return nil, fmt.Errorf("%s from %s is not a readable wheel: %w", file.Filename, Redact(file.URL), err)
	}
	return wheelMetadataFromZip(zr, file.Filename)
}

package notify

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// FileSink appends each message as one JSON line to the file named by the
// message's endpoint. Each line is written with one write(2) on a file
// opened for appending and synced before Send returns; the mutex keeps
// concurrent deliveries to one file from interleaving when a line is
// longer than the kernel writes atomically.
type FileSink struct{ mu *sync.Mutex }

// FileLine is one line of a file delivery.
type FileLine struct {
	Type      string   `json:"type"`
	Time      string   `json:"time"`
	MessageID string   `json:"messageId"`
	TopicArn  string   `json:"topicArn"`
	Subject   string   `json:"subject"`
	Summary   string   `json:"summary,omitempty"`
	Actors    []string `json:"actors,omitempty"`
	Alarm     string   `json:"alarm,omitempty"`
	State     string   `json:"state,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Filter    string   `json:"filter,omitempty"`
	EventID   string   `json:"eventID,omitempty"`
	Message   string   `json:"message"`
}

// Send implements Sink.
func (s *FileSink) Send(_ context.Context, m Message) error {
	b, err := marshal(FileLine{Type: "notification", Time: m.Time.UTC().Format(time.RFC3339), MessageID: m.ID(), TopicArn: m.TopicARN,
		Subject: m.Subject, Summary: m.Summary, Actors: m.Actors, Alarm: m.Alarm, State: m.State, Reason: m.Reason,
		Filter: m.Filter, EventID: m.EventID, Message: m.Body})
	if err != nil {
		return Permanent(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(m.Endpoint, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return Permanent(fmt.Errorf("file %s: %w", m.Endpoint, err))
	}
	_, werr := f.Write(append(b, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	for _, e := range []error{werr, serr, cerr} {
		if e != nil {
			return fmt.Errorf("file %s: %w", m.Endpoint, e)
		}
	}
	return nil
}

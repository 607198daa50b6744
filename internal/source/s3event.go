package source

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// ObjectRef names an object a notification announced.
type ObjectRef struct {
	Bucket, Key string
	Size        int64
}

// ParseS3Notification reads the body of an SQS message announcing new
// objects, in each shape it comes in:
//   - an S3 event notification ({"Records":[{"eventSource":"aws:s3",...}]},
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html),
//     whose keys are URL-encoded with '+' for spaces;
//   - the same wrapped in an SNS notification ({"Type":"Notification","Message":"..."});
//   - an EventBridge "Object Created" event (keys not encoded);
//   - CloudTrail's own SNS notification ({"s3Bucket":..,"s3ObjectKey":[..]},
//     https://docs.aws.amazon.com/awscloudtrail/latest/userguide/configure-sns-notifications-for-cloudtrail.html).
//
// S3's test event (s3:TestEvent) and events other than object creation
// yield no objects and no error.
func ParseS3Notification(body []byte) ([]ObjectRef, error) {
	var env struct {
		Type    string
		Message *string
		Records []struct {
			EventSource string `json:"eventSource"`
			EventName   string `json:"eventName"`
			S3          struct {
				Bucket struct {
					Name string `json:"name"`
				} `json:"bucket"`
				Object struct {
					Key  string `json:"key"`
					Size int64  `json:"size"`
				} `json:"object"`
			} `json:"s3"`
		}
		Event      string `json:"Event"`
		DetailType string `json:"detail-type"`
		Detail     *struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key  string `json:"key"`
				Size int64  `json:"size"`
			} `json:"object"`
		} `json:"detail"`
		S3Bucket    string   `json:"s3Bucket"`
		S3ObjectKey []string `json:"s3ObjectKey"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("not an S3 event notification: %w", err)
	}
	switch {
	case env.Type == "Notification" && env.Message != nil:
		return ParseS3Notification([]byte(*env.Message))
	case env.Event == "s3:TestEvent":
		return nil, nil
	case env.Records != nil:
		var out []ObjectRef
		for i, r := range env.Records {
			if r.EventSource != "aws:s3" {
				return nil, fmt.Errorf("record %d: eventSource %q, want aws:s3", i, r.EventSource)
			}
			if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
				continue
			}
			key, err := url.QueryUnescape(r.S3.Object.Key)
			if err != nil {
				return nil, fmt.Errorf("record %d: object key %q: %w", i, r.S3.Object.Key, err)
			}
			out = append(out, ObjectRef{Bucket: r.S3.Bucket.Name, Key: key, Size: r.S3.Object.Size})
		}
		return out, nil
	case env.Detail != nil && env.DetailType != "":
		if env.DetailType != "Object Created" {
			return nil, nil
		}
		return []ObjectRef{{Bucket: env.Detail.Bucket.Name, Key: env.Detail.Object.Key, Size: env.Detail.Object.Size}}, nil
	case env.S3Bucket != "":
		var out []ObjectRef
		for _, k := range env.S3ObjectKey {
			out = append(out, ObjectRef{Bucket: env.S3Bucket, Key: k})
		}
		return out, nil
	}
	return nil, fmt.Errorf("not an S3 event notification: no Records, SNS Message, EventBridge detail or CloudTrail s3ObjectKey")
}

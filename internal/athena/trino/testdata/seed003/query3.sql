WITH cloudtrail_events AS (
    SELECT
        eventtime AS event_time,
        eventname AS event_name,
        awsRegion AS aws_region,
        json_extract_scalar(requestparameters, '$.bucketName') AS bucket_name,
        json_extract_scalar(requestparameters, '$.key') AS object_key,
        useridentity.principalId AS user_id,
        useridentity.arn AS user_arn,
        sourceipaddress AS source_ip,
        useragent AS user_agent,
        CASE 
            WHEN errorcode = 'AccessDenied' THEN 'Yes'
            ELSE 'No'
        END AS access_denied,
        errorcode AS error_code,
        errormessage AS error_message,
        requestid AS request_id
    FROM cloudtrail_logs_pp
    WHERE eventtime >= '2025-05-01T00:00:00Z' 
        AND eventname = 'DeleteObjects'
        AND eventSource = 's3.amazonaws.com'
        AND useridentity.type = 'AssumedRole'
        AND useragent NOT LIKE '%.amazonaws.com'
),

s3_logs AS (
    SELECT
        parse_datetime(requestdatetime, 'dd/MMM/yyyy:HH:mm:ss Z') AS log_time,
        bucket_name,
        remoteip AS remote_ip,
        requester,
        operation,
        key AS object_key,
        httpstatus,
        errorcode AS s3_error_code,
        useragent AS s3_user_agent,
        requestid AS request_id
    FROM server_access_logs_pp
    WHERE timestamp >= '2025/05/01'
        AND operation = 'BATCH.DELETE.OBJECT'
)

-- CloudTrail データイベントと S3 サーバーアクセスログを結合
SELECT
    CASE 
        WHEN c.event_time IS NOT NULL THEN CAST(c.event_time AS varchar)
        ELSE CAST(s.log_time AS varchar)
    END AS operation_time,
    COALESCE(c.bucket_name, s.bucket_name) AS bucket_name,
    s.operation,
    COALESCE(c.object_key, s.object_key) AS object_key,
    c.user_arn,
    COALESCE(c.source_ip, s.remote_ip) AS source_ip,
    COALESCE(c.user_agent, s.s3_user_agent) AS user_agent,
    s.httpstatus,
    CASE 
        WHEN s.httpstatus = '403' OR c.access_denied = 'Yes' THEN 'Yes'
        ELSE 'No'
    END AS access_denied,
    COALESCE(c.error_code, s.s3_error_code) AS error_code,
    c.error_message,
    c.request_id
FROM cloudtrail_events c
FULL OUTER JOIN s3_logs s ON c.request_id = s.request_id
ORDER BY operation_time ASC

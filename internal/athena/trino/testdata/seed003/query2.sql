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
    errormessage AS error_message
FROM cloudtrail_logs_pp
WHERE eventtime >= '2025-04-30T06:00:00Z' 
    AND eventname in ('GetObject','PutObject', 'DeleteObject', 'DeleteObjects')
    AND eventSource = 's3.amazonaws.com'
    AND useridentity.type = 'AssumedRole'
    AND useragent NOT LIKE '%.amazonaws.com'  -- AWS サービスのユーザーエージェントを除外
ORDER BY eventtime ASC

SELECT
    eventtime,
    useridentity.principalid,
    useridentity.arn,
    sourceipaddress,
    useragent,
    requestparameters
FROM cloudtrail_logs_pp
WHERE eventtime >= '2025-04-28T06:00:00Z' 
    AND eventname in ('GetObject','PutObject', 'DeleteObject', 'DeleteObjects')
    AND eventSource = 's3.amazonaws.com'
    AND useridentity.type = 'AssumedRole'
    AND useragent != 'athena.amazonaws.com';

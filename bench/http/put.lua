-- wrk script for bench/http/run.sh --method put: every request is PUT /k<thread>-<n> with a 100-byte body, n cycling
-- over 10,000 keys per wrk thread. The kv-counter answers by checking whether the key exists and setting it to the
-- body: one exists and one durable set per request.
local counter = 0
local body = string.rep("v", 100)
local threads = 0

function setup(thread)
    threads = threads + 1
    thread:set("prefix", tostring(threads) .. "-") -- a global of that thread's script
end

function request()
    counter = (counter + 1) % 10000
    return wrk.format("PUT", "/k" .. (prefix or "") .. counter, nil, body)
end

namespace Spindle.Host.Abi;

/// <summary>
/// Lowers a request into the ten flattened i32 arguments of Spin 1.x's <c>handle-http-request</c> and lifts the
/// 28-byte response record it returns (docs/abi-v1.md).
/// </summary>
internal static class HttpAbi
{
    public const string ExportName = "handle-http-request";

    private const int HeaderSize = 16;

    /// <summary>Allocates every string and list in the guest, in Spin's order, and returns the arguments.</summary>
    public static (int Method, int UriPtr, int UriLen, int HeadersPtr, int HeadersLen, int ParamsPtr, int ParamsLen, int BodyIsSome, int BodyPtr, int BodyLen)
        Lower(GuestMemory memory, HttpGuestRequest request, int method)
    {
        var uriPtr = memory.AllocateString(request.Uri, out var uriLen);

        var headers = request.Headers;
        var headersPtr = memory.Allocate(headers.Count * HeaderSize, 4);
        for (var i = 0; i < headers.Count; i++)
        {
            var namePtr = memory.AllocateString(headers[i].Key, out var nameLen);
            var valuePtr = memory.AllocateString(headers[i].Value, out var valueLen);
            var element = headersPtr + (i * HeaderSize);
            memory.WriteInt32(element, namePtr);
            memory.WriteInt32(element + 4, nameLen);
            memory.WriteInt32(element + 8, valuePtr);
            memory.WriteInt32(element + 12, valueLen);
        }

        // Spin always passes params empty and the body as some.
        var paramsPtr = memory.Allocate(0, 4);
        var bodyPtr = memory.AllocateCopy(request.Body);
        return (method, uriPtr, uriLen, headersPtr, headers.Count, paramsPtr, 0, 1, bodyPtr, request.Body.Length);
    }

    /// <summary>Reads the response record at <paramref name="pointer"/> and frees what the guest allocated for it.</summary>
    public static HttpGuestResponse Lift(GuestMemory memory, int pointer)
    {
        memory.Refresh(); // the handler may have grown the memory
        var status = memory.ReadUInt16(pointer);
        var headers = new List<KeyValuePair<string, string>>();
        if (Option(memory, pointer + 4))
        {
            var array = memory.ReadInt32(pointer + 8);
            var count = memory.ReadInt32(pointer + 12);
            memory.Span(array, checked(count * HeaderSize)); // bounds of the whole array before reading it
            var toFree = new List<(int Pointer, int Length)>(count * 2);
            for (var i = 0; i < count; i++)
            {
                var element = array + (i * HeaderSize);
                int namePtr = memory.ReadInt32(element), nameLen = memory.ReadInt32(element + 4);
                int valuePtr = memory.ReadInt32(element + 8), valueLen = memory.ReadInt32(element + 12);
                headers.Add(new(memory.ReadString(namePtr, nameLen), memory.ReadString(valuePtr, valueLen)));
                toFree.Add((namePtr, nameLen));
                toFree.Add((valuePtr, valueLen));
            }

            foreach (var (p, length) in toFree)
            {
                memory.Free(p, length, 1);
            }

            memory.Free(array, count * HeaderSize, 4);
        }

        byte[]? body = null;
        if (Option(memory, pointer + 16))
        {
            var bodyPtr = memory.ReadInt32(pointer + 20);
            var bodyLen = memory.ReadInt32(pointer + 24);
            body = memory.ReadBytes(bodyPtr, bodyLen);
            memory.Free(bodyPtr, bodyLen, 1);
        }

        return new HttpGuestResponse(status, headers, body);
    }

    private static bool Option(GuestMemory memory, int pointer) => memory.ReadByte(pointer) switch
    {
        0 => false,
        1 => true,
        var other => throw new GuestAbiException($"invalid option discriminant {other} in the response record"),
    };
}

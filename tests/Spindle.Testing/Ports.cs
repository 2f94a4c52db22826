using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Spindle.Testing;

/// <summary>Free loopback ports, and waiting (under a deadline) until a <c>spindle up</c> started by a test listens on one.</summary>
public static class Ports
{
    /// <summary>How long a test waits for <c>spindle up</c> to listen; compiling a module cold takes a few seconds.</summary>
    public static readonly TimeSpan ListenDeadline = TimeSpan.FromSeconds(60);

    /// <summary>A port nothing listens on right now.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls until something accepts connections on <paramref name="port"/>.</summary>
    /// <param name="port">The loopback port.</param>
    /// <param name="ended">Says why the server is gone when it ended early, else returns <see langword="null"/>.</param>
    public static async Task WaitUntilListeningAsync(int port, Func<Task<string?>> ended)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < ListenDeadline)
        {
            if (await ended() is { } reason)
            {
                throw new InvalidOperationException($"spindle up ended before it listened on port {port}: {reason}");
            }

            try
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }

        throw new TimeoutException($"spindle up did not listen on port {port} within {ListenDeadline.TotalSeconds:0} s");
    }
}

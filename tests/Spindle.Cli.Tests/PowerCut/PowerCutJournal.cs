using System.Text;

namespace Spindle.Cli.Tests.PowerCut;

/// <summary>
/// Reads the journal powercut.c writes and undoes, file by file and newest first, every change made after that
/// file's last successful sync, leaving the files as a power cut at the moment of the kill would have.
/// </summary>
internal static class PowerCutJournal
{
    /// <summary>What the replay found and did.</summary>
    /// <param name="Changes">Writes, truncations and allocations the journal holds.</param>
    /// <param name="Syncs">Successful syncs.</param>
    /// <param name="Undone">Changes made after their file's last sync, undone.</param>
    /// <param name="SyncsPerFile">Syncs per file name.</param>
    public sealed record Replay(int Changes, int Syncs, int Undone, IReadOnlyDictionary<string, int> SyncsPerFile);

    public static Replay Undo(string journalPath)
    {
        var records = Read(journalPath);
        var lastSync = new Dictionary<string, int>(StringComparer.Ordinal);
        var syncsPerFile = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < records.Count; i++)
        {
            if (records[i].Type == 'S')
            {
                lastSync[records[i].Path] = i;
                var name = Path.GetFileName(records[i].Path);
                syncsPerFile[name] = syncsPerFile.GetValueOrDefault(name) + 1;
            }
        }

        var undone = 0;
        for (var i = records.Count - 1; i >= 0; i--)
        {
            var record = records[i];
            if (record.Type == 'S' || (lastSync.TryGetValue(record.Path, out var synced) && i < synced) || !File.Exists(record.Path))
            {
                continue; // durable (or the file is gone: directory entries are taken as durable)
            }

            using var file = new FileStream(record.Path, FileMode.Open, FileAccess.ReadWrite);
            switch (record.Type)
            {
                case 'W':
                    // The bytes it overwrote go back, and the file returns to its size before the write.
                    file.Position = record.Offset;
                    file.Write(record.OldBytes);
                    file.SetLength(record.OldSize);
                    break;
                case 'T':
                    // The size comes back first, then the bytes the truncation cut off.
                    file.SetLength(record.OldSize);
                    file.Position = record.Offset;
                    file.Write(record.OldBytes);
                    break;
                case 'A':
                    file.SetLength(record.OldSize);
                    break;
                default:
                    throw new InvalidDataException($"journal record {i} has unknown type '{record.Type}'");
            }

            undone++;
        }

        return new Replay(records.Count(r => r.Type != 'S'), records.Count(r => r.Type == 'S'), undone, syncsPerFile);
    }

    private static List<Record> Read(string journalPath)
    {
        var records = new List<Record>();
        using var reader = new BinaryReader(File.OpenRead(journalPath), Encoding.UTF8);
        var length = reader.BaseStream.Length;
        while (reader.BaseStream.Position < length)
        {
            // A record cut short by the kill describes a change that never happened (the shim writes the record
            // first): ignore the tail.
            try
            {
                var type = (char)reader.ReadByte();
                var path = Encoding.UTF8.GetString(ReadExactly(reader, reader.ReadInt32()));
                var offset = reader.ReadInt64();
                var oldSize = reader.ReadInt64();
                var oldBytes = ReadExactly(reader, reader.ReadInt32());
                records.Add(new Record(type, path, offset, oldSize, oldBytes));
            }
            catch (EndOfStreamException)
            {
                break;
            }
        }

        return records;
    }

    private static byte[] ReadExactly(BinaryReader reader, int count)
    {
        var bytes = reader.ReadBytes(count);
        return bytes.Length == count ? bytes : throw new EndOfStreamException();
    }

    private sealed record Record(char Type, string Path, long Offset, long OldSize, byte[] OldBytes);
}

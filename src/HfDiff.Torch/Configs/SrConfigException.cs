namespace HfDiff.Torch.Configs;

/// <summary>A ResShift/SinSR YAML config could not be read; the message names the file (and line when known).</summary>
public sealed class SrConfigException : Exception
{
    public SrConfigException(string source, int? line, string problem, Exception? inner = null)
        : base(line is int l ? $"{source}({l}): {problem}" : $"{source}: {problem}", inner)
    {
        Source = source;
        Line = line;
    }

    /// <summary>The file path (or the name given to <see cref="SrConfigReader.Parse"/>).</summary>
    public new string Source { get; }
    /// <summary>1-based line of the offending node, when known.</summary>
    public int? Line { get; }
}

using HfDiff.Torch.Data.Classification;
using HfDiff.Torch.Imaging;

namespace HfDiff.Torch.Tests.Data;

[TestClass]
public class ImageClassificationFolderTests
{
    static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "hfdiff-icf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    static void Png(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ImageIO.WritePng(new byte[4 * 4 * 3], 4, 4, path);
    }

    [TestMethod]
    public void Ctor_ClassFolders_LabelsFollowOrdinalNameOrderAndFilesAreFoundRecursively()
    {
        var root = TempDir();
        try
        {
            Png(Path.Combine(root, "b", "2.png"));
            Png(Path.Combine(root, "b", "1.PNG"));
            Png(Path.Combine(root, "a", "sub", "x.png"));
            Png(Path.Combine(root, "a", "y.png"));
            Png(Path.Combine(root, "C", "z.png"));
            File.WriteAllText(Path.Combine(root, "a", "notes.txt"), "not an image");
            var folder = new ImageClassificationFolder(root);
            CollectionAssert.AreEqual(new[] { "C", "a", "b" }, folder.Classes.ToArray()); // Python sorted(): upper case first
            var rel = folder.Samples.Select(s => (Path.GetRelativePath(root, s.Path).Replace('\\', '/'), s.Label)).ToArray();
            CollectionAssert.AreEqual(new[] { ("C/z.png", 0), ("a/y.png", 1), ("a/sub/x.png", 1), ("b/1.PNG", 2), ("b/2.png", 2) }, rel);
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void Ctor_NoClassFolders_ThrowsNamingRoot()
    {
        var root = TempDir();
        try
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => new ImageClassificationFolder(root));
            StringAssert.Contains(e.Message, root);
            StringAssert.Contains(e.Message, "no class sub-folders");
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void Ctor_ClassFolderWithoutImages_ThrowsNamingThatFolder()
    {
        var root = TempDir();
        try
        {
            Png(Path.Combine(root, "cat", "1.png"));
            Directory.CreateDirectory(Path.Combine(root, "dog"));
            File.WriteAllText(Path.Combine(root, "dog", "readme.txt"), "x");
            var e = Assert.ThrowsExactly<InvalidDataException>(() => new ImageClassificationFolder(root));
            StringAssert.Contains(e.Message, Path.Combine(root, "dog"));
            StringAssert.Contains(e.Message, "has no images");
        }
        finally { Directory.Delete(root, true); }
    }

    [TestMethod]
    public void Ctor_MissingFolder_ThrowsNamingIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), "hfdiff-missing-" + Guid.NewGuid().ToString("N"));
        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() => new ImageClassificationFolder(missing));
        StringAssert.Contains(e.Message, missing);
    }

    [TestMethod]
    public void RequireSameClasses_DifferentClassFolders_ThrowsNamingTheDifference()
    {
        var a = TempDir();
        var b = TempDir();
        try
        {
            Png(Path.Combine(a, "cat", "1.png"));
            Png(Path.Combine(a, "dog", "1.png"));
            Png(Path.Combine(b, "cat", "1.png"));
            Png(Path.Combine(b, "eel", "1.png"));
            var fa = new ImageClassificationFolder(a);
            fa.RequireSameClasses(new ImageClassificationFolder(a));
            var e = Assert.ThrowsExactly<InvalidDataException>(() => fa.RequireSameClasses(new ImageClassificationFolder(b)));
            StringAssert.Contains(e.Message, "Only in '" + fa.Root + "': dog");
            StringAssert.Contains(e.Message, "eel");
        }
        finally { Directory.Delete(a, true); Directory.Delete(b, true); }
    }
}

using HfDiff.Torch.Data.SrPairs;
using HfDiff.Torch.Data;

namespace HfDiff.Torch.Tests.Data.SrPairs;

[TestClass]
public class HrImageFolderTests
{
    [TestMethod]
    public void Constructor_RecursiveDefault_ListsImagesOfAllFormatsSortedByRelativePath()
    {
        using var dir = new SrPairTestImages();
        dir.Png("b.png", 8, 8);
        dir.Png("a.PNG", 8, 8);
        dir.Png("sub/c.png", 8, 8);
        dir.Raw("z.jpeg", [1]);
        dir.Raw("y.webp", [1]);
        dir.Raw("x.tif", [1]);
        dir.Raw("w.bmp", [1]);
        dir.Raw("notes.txt", [1]);

        var folder = new HrImageFolder(dir.Root);

        var rel = folder.Paths.Select(p => Path.GetRelativePath(dir.Root, p).Replace('\\', '/')).ToArray();
        CollectionAssert.AreEqual(new[] { "a.PNG", "b.png", "sub/c.png", "w.bmp", "x.tif", "y.webp", "z.jpeg" }, rel);
    }

    [TestMethod]
    public void Constructor_NotRecursive_SkipsSubfolders()
    {
        using var dir = new SrPairTestImages();
        dir.Png("b.png", 8, 8);
        dir.Png("sub/c.png", 8, 8);

        var folder = new HrImageFolder(dir.Root, new HrImageFolderOptions { Recursive = false });

        Assert.AreEqual(1, folder.Count);
        Assert.AreEqual("b.png", Path.GetFileName(folder.Paths[0]));
    }

    [TestMethod]
    public void Constructor_NoImages_ThrowsNamingFolder()
    {
        using var dir = new SrPairTestImages();
        dir.Raw("readme.txt", [1, 2]);

        var e = Assert.ThrowsExactly<ArgumentException>(() => new HrImageFolder(dir.Root));

        StringAssert.Contains(e.Message, dir.Root);
        StringAssert.Contains(e.Message, "no images");
    }

    [TestMethod]
    public void Constructor_MissingFolder_ThrowsDirectoryNotFoundNamingIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"hfdiff-missing-{Guid.NewGuid():N}");
        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() => new HrImageFolder(missing));
        StringAssert.Contains(e.Message, missing);
    }

    [TestMethod]
    public void FromFiles_ExplicitList_KeepsGivenOrderAndDuplicatesWithCommonRoot()
    {
        using var dir = new SrPairTestImages();
        var b = dir.Png("x/b.png", 8, 8);
        var a = dir.Png("y/z/a.png", 8, 8);

        var files = HrImageFolder.FromFiles([b, a, b]);

        CollectionAssert.AreEqual(new[] { b, a, b }, files.Paths.ToArray());
        Assert.AreEqual(Path.GetFullPath(dir.Root), files.Root);
        Assert.IsTrue(files.TryRead(1, out var image));
        image!.Dispose();
        Assert.AreEqual(Path.Combine(dir.Root, "x"), HrImageFolder.FromFiles([b]).Root);
    }

    [TestMethod]
    public void FromFiles_EmptyOrMissingFile_ThrowsNamingIt()
    {
        using var dir = new SrPairTestImages();
        var a = dir.Png("a.png", 8, 8);
        var missing = Path.Combine(dir.Root, "gone.png");

        var empty = Assert.ThrowsExactly<ArgumentException>(() => HrImageFolder.FromFiles([]));
        StringAssert.Contains(empty.Message, "empty");
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => HrImageFolder.FromFiles([a, missing]));
        StringAssert.Contains(e.Message, $"file 1 '{missing}' does not exist");
        Assert.ThrowsExactly<ArgumentException>(() => HrImageFolder.FromFiles([a, " "]));
    }

    [TestMethod]
    public void TryRead_CorruptAndTruncatedFiles_ReportedOnceWithReasonAndSkippedAfterwards()
    {
        using var dir = new SrPairTestImages();
        dir.Png("a.png", 6, 5);
        var garbage = dir.Raw("b.png", "not an image at all"u8.ToArray());
        var truncated = dir.TruncatedPng("c.png", 40, 40);
        var folder = new HrImageFolder(dir.Root);
        var events = new List<SkippedImage>();
        folder.ImageSkipped += events.Add;

        Assert.IsTrue(folder.TryRead(0, out var image));
        using (image)
            CollectionAssert.AreEqual(new long[] { 1, 3, 5, 6 }, image!.shape);
        Assert.IsFalse(folder.TryRead(1, out var none));
        Assert.IsNull(none);
        Assert.IsFalse(folder.TryRead(2, out _));
        Assert.IsFalse(folder.TryRead(1, out _)); // known bad: not read or reported again

        Assert.AreEqual(2, folder.SkippedCount);
        CollectionAssert.AreEqual(new[] { garbage, truncated }, folder.Skipped.Select(s => s.Path).ToArray());
        Assert.IsTrue(folder.Skipped.All(s => !string.IsNullOrWhiteSpace(s.Reason)));
        Assert.AreEqual(2, events.Count);
        Assert.IsTrue(folder.IsSkipped(1) && folder.IsSkipped(2) && !folder.IsSkipped(0));
    }

    [TestMethod]
    public void TryRead_IndexOutOfRange_Throws()
    {
        using var dir = new SrPairTestImages();
        dir.Png("a.png", 4, 4);
        var folder = new HrImageFolder(dir.Root);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => folder.TryRead(1, out _));
    }
}

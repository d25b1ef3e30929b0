using UnitScope.Engine.Datasets;
using UnitScope.Engine.ModelDescription;
using UnitScope.Engine.Tests.Models;
using UnitScope.Engine.Tests.Onnx;

namespace UnitScope.Engine.Tests.ModelDescription;

/// <summary>NAME.unitscope.json: read strictly (errors name the field), written atomically, applied by ModelSession.Load under explicit options.</summary>
// Compares forward passes bit for bit (before/after, the model run directly): apart from tests that switch oneDNN.
[Collection(ExactNumerics.Name)]
public class ModelDescriptionFileTests : IDisposable
{
    readonly OnnxFixtures.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    Description Read(string json) => ModelDescriptionFile.Read(_temp.Write("m.unitscope.json", System.Text.Encoding.UTF8.GetBytes(json)));

    /// <summary>A malformed file is InvalidArgument and its message names the field (or what is wrong).</summary>
    [Theory]
    [InlineData("""{ "inputSize": [224, "a"] }""", "'inputSize'")]
    [InlineData("""{ "inputSize": [0, 10] }""", "'inputSize'")]
    [InlineData("""{ "inputSize": [1, 2, 3] }""", "'inputSize'")]
    [InlineData("""{ "mean": "imagenet" }""", "'mean'")]
    [InlineData("""{ "std": [0.2, 0, 0.2] }""", "'std'")]
    [InlineData("""{ "mean": [0.5, 0.5, 0.5], "std": [0.2] }""", "'mean' has 3 values and 'std' 1")]
    [InlineData("""{ "architecture": 18 }""", "'architecture'")]
    [InlineData("""{ "classNames": ["a", 2] }""", "'classNames'")]
    [InlineData("""{ "classNamesFile": "nope.txt" }""", "nope.txt")]
    [InlineData("""{ "classNames": ["a"], "classNamesFile": "c.txt" }""", "not both")]
    [InlineData("""{ "inputsize": [224, 224] }""", "did you mean 'inputSize'")]
    [InlineData("""{ "resize": 0 }""", "'resize' must be one whole number")]
    [InlineData("""{ "resize": 256.5 }""", "'resize' must be one whole number")]
    [InlineData("""{ "resize": "256" }""", "'resize'")]
    [InlineData("""{ "resize": 20000 }""", "1–16384")]
    [InlineData("""{ "resize": [256, 256] }""", "give 'inputSize'")]
    [InlineData("""{ "centerCrop": [224, 0] }""", "'centerCrop' must be [height, width]")]
    [InlineData("""{ "centerCrop": [1, 2, 3] }""", "'centerCrop'")]
    [InlineData("""{ "centerCrop": "224" }""", "'centerCrop'")]
    [InlineData("""{ "center_crop": 224 }""", "did you mean 'centerCrop'")]
    [InlineData("""{ "centreCrop": 224 }""", "did you mean 'centerCrop'")]
    [InlineData("""{ "interpolation": "cubic" }""", "'interpolation' must be one of bilinear, nearest, bicubic, box, hamming, lanczos")]
    [InlineData("""{ "interpolation": 3 }""", "'interpolation'")]
    [InlineData("""{ "mean": [125.3, 123.0, 113.9] }""", "'mean' [125.3, 123.0, 113.9] is on the 0–255 scale; UnitScope takes the mean on the 0..1 scale of torchvision's ToTensor(), so divide by 255: 0.4914,0.4824,0.4467")]
    [InlineData("""{ "std": [63.0] }""", "'std' [63.0] is on the 0–255 scale")]
    [InlineData("""[224, 224]""", "JSON object")]
    [InlineData("""{ "inputSize": [224, 224] """, "not valid JSON")]
    public void Malformed_file_names_the_field(string json, string mention)
    {
        var read = () => Read(json);
        var error = read.Should().Throw<UnitScopeException>().Which;
        error.Kind.Should().Be(EngineErrorKind.InvalidArgument);
        error.Message.Should().Contain(mention).And.Contain("m.unitscope.json");
    }

    [Fact]
    public void Reads_every_field()
    {
        File.WriteAllLines(_temp.File("c.txt"), ["cat", "", "dog "]);
        var d = Read("""
            { // comments and trailing commas are fine
              "$schema": "ignored",
              "architecture": "resnet18", "inputSize": [96, 128],
              "mean": [0.5, 0.4, 0.3], "std": [0.2, 0.2, 0.25],
              "resize": 110, "centerCrop": [96, 128], "interpolation": "BICUBIC",
              "classNamesFile": "c.txt",
            }
            """);
        d.Architecture.Should().Be("resnet18");
        d.InputSize.Should().Equal(96, 128);
        d.Mean.Should().Equal(0.5f, 0.4f, 0.3f);
        d.Std.Should().Equal(0.2f, 0.2f, 0.25f);
        d.ClassNames.Should().Equal("cat", "dog");
        d.ClassNamesFile.Should().Be("c.txt");
        d.Resize.Should().Be(110);
        d.CenterCrop.Should().Equal(96, 128);
        d.Interpolation.Should().Be(Imaging.Resampling.Bicubic);
        d.ToImageFolderOptions().Should().Be(new ImageFolderOptions
        {
            ResizeShorterSide = 110, CropHeight = 96, CropWidth = 128, Resampling = Imaging.Resampling.Bicubic,
        });
        Read("""{ "inputSize": 64 }""").InputSize.Should().Equal(64, 64);
        Read("""{ "centerCrop": 224 }""").CenterCrop.Should().Equal(224, 224);
        Read("""{ "centerCrop": [200] }""").CenterCrop.Should().Equal(200, 200);
        var none = Read("""{ "resize": null }""");
        none.Resize.Should().BeNull();
        none.ToImageFolderOptions().IsEmpty.Should().BeTrue();
    }

    [Fact]
    public void Writes_what_it_reads()
    {
        var d = new Description
        {
            Architecture = "onnx", InputSize = [48, 64], Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f],
            Resize = 55, CenterCrop = [48, 50], Interpolation = Imaging.Resampling.Lanczos, ClassNames = ["a", "b \"c\""],
        };
        string path = _temp.File("w.unitscope.json");
        ModelDescriptionFile.Write(path, d);
        File.ReadAllText(path).Should().Contain("0.485").And.NotContain("0.48500");
        var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        json.GetProperty("resize").GetInt32().Should().Be(55);
        json.GetProperty("centerCrop").EnumerateArray().Select(v => v.GetInt32()).Should().Equal(48, 50);
        json.GetProperty("interpolation").GetString().Should().Be("lanczos");
        var back = ModelDescriptionFile.Read(path);
        back.Should().BeEquivalentTo(d);
        Directory.GetFiles(_temp.Path).Should().ContainSingle("the temporary file is gone");
        ModelDescriptionFile.PathFor(_temp.File("model.onnx")).Should().Be(_temp.File("model.unitscope.json"));
    }

    [Fact]
    public void Load_applies_the_description_and_explicit_options_win()
    {
        File.Copy(OnnxFixtures.Model("custom_cnn_opset13"), _temp.File("net.onnx"));
        string[] names = ["a", "b", "c", "d", "e", "f"];
        ModelDescriptionFile.Write(_temp.File("net.unitscope.json"), new Description { Mean = [0.5f, 0.5f, 0.5f], Std = [0.25f, 0.25f, 0.25f], ClassNames = names });

        using (var session = ModelSession.Load(_temp.File("net.onnx"), new ModelOptions { Device = "cpu" }))
        {
            session.ClassNames.Should().Equal(names);
            session.Input.Mean.Should().Equal(0.5f, 0.5f, 0.5f);
            session.Input.Std.Should().Equal(0.25f, 0.25f, 0.25f);
        }
        using (var session = ModelSession.Load(_temp.File("net.onnx"), new ModelOptions { Device = "cpu", Mean = [0.1f, 0.2f, 0.3f] }))
        {
            session.Input.Mean.Should().Equal(0.1f, 0.2f, 0.3f);
            session.Input.Std.Should().Equal(0.25f, 0.25f, 0.25f);
        }
    }

    [Fact]
    public void Load_keeps_the_saved_resize_and_crop_as_the_models_image_folder_defaults()
    {
        File.Copy(OnnxFixtures.Model("custom_cnn_opset13"), _temp.File("net.onnx"));
        using (var plain = ModelSession.Load(_temp.File("net.onnx"), new ModelOptions { Device = "cpu" }))
            plain.ImageFolderDefaults.IsEmpty.Should().BeTrue("without a description nothing is resized or cropped");

        File.WriteAllText(_temp.File("net.unitscope.json"), """{ "resize": 40, "centerCrop": [30, 20] }""");
        using var session = ModelSession.Load(_temp.File("net.onnx"), new ModelOptions { Device = "cpu" });
        session.ImageFolderDefaults.Should().Be(new ImageFolderOptions { ResizeShorterSide = 40, CropHeight = 30, CropWidth = 20 });
        (session.Input.Height, session.Input.Width).Should().NotBe((30, 20), "the crop is not the model's input size");
    }

    [Fact]
    public void The_saved_interpolation_resizes_single_images_and_model_inputs()
    {
        File.Copy(OnnxFixtures.Model("custom_cnn_opset13"), _temp.File("net.onnx"));
        File.Copy(OnnxFixtures.Model("custom_cnn_opset13"), _temp.File("plain.onnx"));
        File.WriteAllText(_temp.File("net.unitscope.json"), """{ "resize": 40, "interpolation": "bicubic" }""");
        using var session = ModelSession.Load(_temp.File("net.onnx"), new ModelOptions { Device = "cpu" });
        using var plain = ModelSession.Load(_temp.File("plain.onnx"), new ModelOptions { Device = "cpu" });
        session.Input.Resampling.Should().Be(Imaging.Resampling.Bicubic);
        plain.Input.Resampling.Should().Be(Imaging.Resampling.Bilinear, "torchvision's default");
        session.ImageSizing().Resampling.Should().Be(Imaging.Resampling.Bicubic);

        var photo = Imaging.ImageFile.Load(Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "images", "resize", "photo_rgb_173x131.png"));
        var sized = session.SizeImage(photo);
        sized.Pixels.Should().Equal(Imaging.ImageResize.Resize(photo, 52, 40, Imaging.Resampling.Bicubic).Pixels);
        // The model's input is another size: the same interpolation takes the sized image there.
        var input = Imaging.ImageResize.Resize(sized, session.Input.Width, session.Input.Height, Imaging.Resampling.Bicubic);
        session.Predict(sized).Logits.Should().Equal(plain.Predict(input).Logits);
        plain.Predict(sized).Logits.Should().NotEqual(plain.Predict(input).Logits, "bilinear gives other pixels");
    }

    [Fact]
    public void Class_names_that_do_not_fit_the_model_are_an_error()
    {
        File.Copy(OnnxFixtures.Model("custom_cnn_opset13"), _temp.File("net.onnx"));
        ModelDescriptionFile.Write(_temp.File("net.unitscope.json"), new Description { ClassNames = ["only", "three", "names"] });
        var load = () => ModelSession.Load(_temp.File("net.onnx"), new ModelOptions { Device = "cpu" });
        load.Should().Throw<UnitScopeException>().Which.Message.Should().Contain("'classNames' has 3 names but the model has 6 classes");
    }

    [Fact]
    public void Description_names_the_architecture_of_a_checkpoint_and_its_input_size()
    {
        File.Copy(ModelFixtures.Checkpoint("resnet18_small"), _temp.File("weights.pth"));
        ModelDescriptionFile.Write(_temp.File("weights.unitscope.json"), new Description { Architecture = "resnet18", InputSize = [64, 96] });
        using var session = ModelSession.Load(_temp.File("weights.pth"), new ModelOptions { Device = "cpu" });
        session.Architecture.Should().Be("resnet18");
        (session.Input.Height, session.Input.Width).Should().Be((64, 96));
        session.ClassNames.Should().HaveCount(10).And.StartWith("class 0");
    }

    [Fact]
    public void Classes_txt_keeps_working_without_a_description()
    {
        File.Copy(ModelFixtures.Checkpoint("smallcnn_cifar"), _temp.File("cifar.pth"));
        File.WriteAllLines(_temp.File("cifar.classes.txt"), Enumerable.Range(0, 10).Select(i => $"c{i}"));
        using var session = ModelSession.Load(_temp.File("cifar.pth"), new ModelOptions { Device = "cpu" });
        session.ClassNames.Should().StartWith("c0").And.HaveCount(10);
    }
}

// The YuNet network (models/face/yunet.onnx) compiled into the library as bytes: no model file is
// read at run time. VT_FACE_YUNET_ONNX is set by CMake to the file's absolute path.
__asm__(".section .rodata\n.balign 16\n.global vt_face_yunet_begin\nvt_face_yunet_begin:\n.incbin \"" VT_FACE_YUNET_ONNX
        "\"\n.global vt_face_yunet_end\nvt_face_yunet_end:\n.previous\n");

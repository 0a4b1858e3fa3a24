--[[
typst.lua -- map the assembled book's conventions onto the KCE typst template.

Runs only when writing typst (after crossref.lua / callouts.lua / citeproc ran on the
book).  It turns the writer-neutral markers into calls of functions defined in
templates/typst/kce.typ:

* headings with a `number` attribute get `#kce-num("3.1")` before their text;
* tables/figures with `xref-label` get "Table N – " / "Figure N – " before the caption;
* images get a column-wide width (unless one is given) and their `fig-alt` as typst `alt`;
* callout Divs become `#kce-callout(kind: ..., title: [...])[...]`;
* `.column-page` / `.wide` Divs (and `.wide` tables/figures) span both columns;
* a paragraph starting "Source:" / "Note:" right after a table, or a `.table-notes`
  Div, is set as table notes;
* the `#refs` Div gets the reference-list style.
]]

local function typst_string(text)
  return '"' .. text:gsub("\\", "\\\\"):gsub('"', '\\"') .. '"'
end

local function raw(text)
  return pandoc.RawBlock("typst", text)
end

local function safe_number(n)
  return (n:gsub("[^%w%.]", ""))
end

local function wrap(call, blocks)
  local out = pandoc.Blocks({ raw(call .. "[") })
  out:extend(blocks)
  out:insert(raw("]"))
  return out
end

local function prefix_caption(el)
  local label = el.attributes["xref-label"]
  if not label then
    return
  end
  local prefix = pandoc.Inlines({ pandoc.Str(label), pandoc.Space(), pandoc.Str("–"), pandoc.Space() })
  local long = el.caption.long
  if #long > 0 and (long[1].t == "Plain" or long[1].t == "Para") then
    local inlines = prefix .. long[1].content
    long[1] = pandoc.Plain(inlines)
  else
    long:insert(1, pandoc.Plain(prefix))
  end
  el.caption.long = long
end

local function is_wide(el)
  return el.classes:includes("wide") or el.classes:includes("column-page")
    or el.attributes["column"] == "page"
end

local function image_call(img)
  local args = { typst_string(img.src) }
  local width = img.attributes["width"]
  if width and width:match("^[%d%.]+%%$") then
    table.insert(args, "width: " .. width)
  elseif width and width:match("^[%d%.]+(pt|cm|mm|in|em)$") then
    table.insert(args, "width: " .. width)
  else
    table.insert(args, "width: 100%")
  end
  local alt = img.attributes["fig-alt"] or pandoc.utils.stringify(img.caption)
  if alt ~= "" then
    table.insert(args, "alt: " .. typst_string(alt))
  end
  return pandoc.RawInline("typst", "#image(" .. table.concat(args, ", ") .. ")")
end

function Header(el)
  local number = el.attributes["number"]
  if number and number ~= "" then
    el.content:insert(1, pandoc.RawInline("typst", '#kce-num("' .. safe_number(number) .. '")'))
  end
  return el
end

function Figure(el)
  -- only figure images are made column-wide; inline images keep their size
  el = el:walk({ Image = image_call })
  prefix_caption(el)
  if is_wide(el) then
    return wrap("#kce-wide", { el })
  end
  return el
end

function Table(el)
  prefix_caption(el)
  if is_wide(el) then
    return wrap("#kce-wide", { el })
  end
  return el
end

function Div(el)
  if el.classes:includes("callout") and el.attributes["callout-type"] then
    local title_div, body_div = el.content[1], el.content[2]
    local out = pandoc.Blocks({
      raw("#kce-callout(kind: " .. typst_string(el.attributes["callout-type"]) .. ", title: ["),
    })
    out:extend(title_div.content)
    out:insert(raw("])["))
    out:extend(body_div.content)
    out:insert(raw("]"))
    return out
  end
  if el.identifier == "refs" then
    return wrap("#kce-references", { el })
  end
  if el.classes:includes("table-notes") then
    return wrap("#kce-table-notes", el.content)
  end
  if is_wide(el) then
    return wrap("#kce-wide", el.content)
  end
end

local NOTE_STARTS = { ["Source:"] = true, ["Sources:"] = true, ["Note:"] = true, ["Notes:"] = true }

local function starts_as_note(block)
  if block.t ~= "Para" or #block.content == 0 then
    return false
  end
  local first = block.content[1]
  if first.t == "Emph" or first.t == "Strong" then
    first = first.content[1]
  end
  return first ~= nil and first.t == "Str" and NOTE_STARTS[first.text] == true
end

local function is_table_like(block)
  if block.t == "Table" then
    return true
  end
  -- a wide table arrives wrapped: RawBlock "]" closes it
  return block.t == "RawBlock" and block.text == "]"
end

function Blocks(blocks)
  local out = pandoc.Blocks({})
  local after_table = false
  for _, block in ipairs(blocks) do
    if after_table and starts_as_note(block) then
      out:extend(wrap("#kce-table-notes", { block }))
    else
      out:insert(block)
      after_table = is_table_like(block)
    end
  end
  return out
end

-- typst refuses a link to a label that does not exist (e.g. citeproc's link for an
-- unknown citation key, already reported as a warning): keep such links' text only.
function Pandoc(doc)
  local ids = {}
  local function note(el)
    if el.identifier and el.identifier ~= "" then
      ids[el.identifier] = true
    end
  end
  doc:walk({ Block = note, Inline = note })
  return doc:walk({
    Link = function(link)
      local target = link.target:match("^#(.+)$")
      if target and not ids[target] then
        return link.content
      end
    end,
  })
end

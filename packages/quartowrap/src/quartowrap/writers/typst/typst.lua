--[[
typst.lua -- map the assembled book's conventions onto the theme's typst template.

Runs only when writing typst (after crossref.lua / callouts.lua / citeproc ran on the
book).  It turns the writer-neutral markers into calls of the `qw-*` functions every
theme's typst template defines (themes/<name>/typst/definitions.typ; see docs/themes.md):

* headings with a `number` attribute get `#qw-num("3.1")` before their text;
* tables/figures with `xref-label` get "Table N: " / "Figure N: " before the caption (the
  delimiter from the metadata `quartowrap-title-delim`: a theme's " –" gives "Table N – ");
* tables arrive printed from the table model (writers/typst/tables.py,
  quartowrap/tables/typst.py) in a `.quartowrap-table` Div; this filter only places them;
* images get a column-wide width (unless one is given) and their `fig-alt` as typst `alt`;
* callout Divs become `#qw-callout(kind: ..., title: [...])[...]`;
* `.column-page` / `.wide` Divs (and `.wide` tables/figures) span both columns;
* a paragraph starting "Source:" / "Note:" right after a table, or a `.table-notes`
  Div, is set as table notes;
* the `#refs` Div gets the reference-list style;
* every equation gets alt text (PDF/UA): a `quarto-equation` Span's `alt` attribute
  (`$$ ... $$ {#eq-x alt="..."}`), else the equation's TeX source.
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

-- What follows "Figure 1" in a caption (project/theme.py `caption_delimiter`: the book's
-- `title-delim`, the theme's, else ":" as Quarto's typst figures print); set by `Meta`.
local title_delim = ":"

local function caption_delimiter(meta)
  local value = meta["quartowrap-title-delim"]
  if value ~= nil then
    title_delim = pandoc.utils.stringify(value)
  end
end

local function delimiter_inlines()
  -- " –" keeps its space before the dash; ":" sits against the number
  local out = pandoc.Inlines({})
  local lead, word = title_delim:match("^(%s*)(.-)%s*$")
  if lead ~= "" then
    out:insert(pandoc.Space())
  end
  out:insert(pandoc.Str(word))
  out:insert(pandoc.Space())
  return out
end

local function prefix_caption(el)
  local label = el.attributes["xref-label"]
  if not label then
    return
  end
  local prefix = pandoc.Inlines({ pandoc.Str(label) }) .. delimiter_inlines()
  local long = el.caption.long
  if #long > 0 and (long[1].t == "Plain" or long[1].t == "Para") then
    local inlines = prefix .. long[1].content
    long[1] = pandoc.Plain(inlines)
  else
    long:insert(1, pandoc.Plain(prefix))
  end
  el.caption.long = long
end

-- A float cannot break across pages, so wide content that may not fit on one page goes on
-- pages of its own in one column instead (`qw-wide-page`); short content floats across
-- both columns at the top of a page (`qw-wide`).  "May not fit" is decided with the table
-- layout (quartowrap/tables/layout.py: estimated height at the page width), which marks
-- the table's Div, and a wide Div holding such a table, with `qw-long`.
local REGION = "qw-wide-page-region"
-- closes a `#qw-wide[` float; notes that follow its table are moved inside (see Blocks)
local WIDE_END = "] // end of qw-wide"
-- closes a `#qw-column-figure[` float; a "Source:" note after the figure is moved inside
local FIGURE_END = "] // end of qw-column-figure"

-- Short wide content floats now; long content (`long`) becomes a region marker that `Blocks`
-- below turns into one-column pages (merging neighbouring regions).
local function widen(blocks, long)
  if long then
    return pandoc.Div(blocks, pandoc.Attr("", { REGION }))
  end
  local out = wrap("#qw-wide", blocks)
  out[#out] = raw(WIDE_END)
  return out
end

local function is_wide(el)
  return el.classes:includes("wide") or el.classes:includes("column-page")
    or el.attributes["column"] == "page"
end

local COLUMN_PT = 354 -- one text column of the landscape page
local PAGE_PT = 740 -- both columns (wide tables and figures)

-- Lines a caption takes (9pt semibold, about 4.5pt a character), as room for qw-image.
local function caption_room(caption, width_pt)
  local chars = utf8.len(pandoc.utils.stringify(caption)) or 0
  local lines = math.max(1, math.ceil(chars * 4.5 / width_pt))
  return math.floor(lines * 12 + 6 + 12 + 6 + 0.5) -- lines, gap, clearance, slack
end

local function image_call(img, fit)
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
  if fit then
    table.insert(args, "fit: true, caption-room: " .. fit .. "pt")
  end
  -- qw-image (the theme's definitions.typ) caps the height so figure and caption always fit one column/page
  return pandoc.RawInline("typst", "#qw-image(" .. table.concat(args, ", ") .. ")")
end

function Header(el)
  local number = el.attributes["number"]
  if number and number ~= "" then
    el.content:insert(1, pandoc.RawInline("typst", '#qw-num("' .. safe_number(number) .. '")'))
  end
  return el
end

-- Columns of a sub-figure panel from Quarto's `layout-ncol`, `layout-nrow` or `layout`
-- (the widest row of `[[1,1],[1]]`); one column when none is given, as in Quarto.
local function panel_columns(el, parts)
  local ncol = tonumber(el.attributes["layout-ncol"] or "")
  local nrow = tonumber(el.attributes["layout-nrow"] or "")
  local layout = el.attributes["layout"]
  if not ncol and nrow and nrow > 0 then
    ncol = math.ceil(parts / nrow)
  end
  if not ncol and layout then
    local ok, rows = pcall(pandoc.json.decode, layout)
    if ok and type(rows) == "table" then
      ncol = 0
      for _, row in ipairs(rows) do
        ncol = math.max(ncol, type(row) == "table" and #row or #rows)
      end
    end
  end
  return math.max(1, math.min(ncol or 1, parts))
end

local SUBCAPTION_PT = 16 -- room for a one-line sub-caption under each part

-- A figure of sub-figures (crossref.lua: class `quarto-layout-panel`, parts are Figures
-- with `subfig-label`): one typst figure whose body is a grid of `qw-subfigure` cells,
-- each image with its "(a) caption" under it and the part's label, so `@fig-x-1` links.
local panel_ids = {} -- labels written as raw typst, for the link check in Pandoc below

local function panel_blocks(el, fit)
  local parts = pandoc.List()
  local rest = pandoc.List()
  for _, block in ipairs(el.content) do
    if block.t == "Figure" and block.attributes["subfig-label"] then
      parts:insert(block)
    else
      rest:insert(block)
    end
  end
  local ncol = panel_columns(el, #parts)
  -- Quarto's `layout-valign`: top (its default), center, bottom
  local valign = ({ top = "top", center = "horizon", bottom = "bottom" })[
    el.attributes["layout-valign"] or "top"] or "top"
  local out = pandoc.Blocks({ raw("#grid(columns: (1fr,) * " .. ncol
    .. ", column-gutter: 1em, row-gutter: 0.8em, align: center + " .. valign .. ",") })
  for _, part in ipairs(parts) do
    local image_fit = fit and (fit + SUBCAPTION_PT) or nil
    local body = pandoc.Blocks(part.content):walk({
      Image = function(img) return image_call(img, image_fit) end,
    })
    local caption = pandoc.Inlines({ pandoc.Str(part.attributes["subfig-label"]) })
    local long = part.caption.long
    if #long > 0 and (long[1].t == "Plain" or long[1].t == "Para") and #long[1].content > 0 then
      caption:insert(pandoc.Space())
      caption:extend(long[1].content)
    end
    out:insert(raw("[#qw-subfigure(["))
    out:extend(body)
    out:insert(raw("], ["))
    out:insert(pandoc.Plain(caption))
    local label = ""
    if part.identifier ~= "" then
      label = " <" .. part.identifier .. ">"
      panel_ids[part.identifier] = true
    end
    out:insert(raw("])" .. label .. "],"))
  end
  out:insert(raw(")"))
  out:extend(rest)
  return out
end

function Figure(el)
  -- the parts of a sub-figure panel are laid out by their parent (panel_blocks)
  if el.attributes["subfig-label"] then
    return el
  end
  -- only figure images are made column-wide; inline images keep their size.  A floating
  -- figure's image also keeps within the room its page leaves (see qw-image).
  local nested = el.attributes["qw-nested"]
  el.attributes["qw-nested"] = nil
  local fit = nil
  if is_wide(el) or nested == "wide" then
    fit = caption_room(el.caption.long, PAGE_PT)
  elseif not nested then
    fit = caption_room(el.caption.long, COLUMN_PT)
  end
  if el.classes:includes("quarto-layout-panel") then
    el.content = panel_blocks(el, fit)
    for _, key in ipairs({ "layout-ncol", "layout-nrow", "layout", "layout-valign" }) do
      el.attributes[key] = nil
    end
  else
    el = el:walk({ Image = function(img) return image_call(img, fit) end })
  end
  prefix_caption(el)
  if is_wide(el) then
    return widen({ el }, false)
  end
  if nested then
    return el
  end
  -- a column figure floats to the top or bottom of a column (qw-column-figure): it is never
  -- split from its caption, and text fills the column when it does not fit under a float
  local out = wrap("#qw-column-figure", { el })
  out[#out] = raw(FIGURE_END)
  return out
end

-- a table printed from the model (writers/typst/tables.py): its label is raw typst, so it is
-- noted for the link check; a page-wide one floats or gets pages of its own
local TABLE_END = "// end of table"

function Div(el)
  if el.classes:includes("quartowrap-table") then
    if el.identifier ~= "" then
      panel_ids[el.identifier] = true
    end
    if el.classes:includes("wide") then
      return widen(el.content, el.attributes["qw-long"] ~= nil)
    end
    return el.content
  end
  if el.classes:includes("callout") and el.attributes["callout-type"] then
    local title_div, body_div = el.content[1], el.content[2]
    local out = pandoc.Blocks({
      raw("#qw-callout(kind: " .. typst_string(el.attributes["callout-type"]) .. ", title: ["),
    })
    out:extend(title_div.content)
    out:insert(raw("])["))
    out:extend(body_div.content)
    out:insert(raw("]"))
    return out
  end
  if el.identifier == "refs" then
    return wrap("#qw-references", { el })
  end
  if el.classes:includes("chapter-authors") then
    return wrap("#qw-chapter-authors", el.content)
  end
  if el.classes:includes("table-notes") then
    return wrap("#qw-table-notes", el.content)
  end
  if is_wide(el) then
    return widen(el.content, el.attributes["qw-long"] ~= nil)
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
  -- a table ends with TABLE_END; a wide one arrives wrapped: a RawBlock "]" closes it
  return block.t == "RawBlock"
    and (block.text == "]" or block.text == WIDE_END or block.text == FIGURE_END
      or block.text == TABLE_END)
end

local function is_region(block)
  return block.t == "Div" and block.classes:includes(REGION)
end

local function text_size(block)
  local n = 0
  pandoc.Blocks({ block }):walk({ Str = function(s) n = n + utf8.len(s.text) end })
  return n
end

-- Notes after tables, and one-column pages for long wide tables: text between two such
-- tables (a heading and a short paragraph) joins them on the one-column pages rather than
-- leaving a nearly empty two-column page between them.
local MERGE_BUDGET = 900
local LEAD_IN = 400

-- A column figure right before or right after page-wide content would share its page with
-- that float, and typst places the page float first: the column left to the figure is
-- short and the figure would shrink until its text is too small to read (or, with no room
-- at all, run off the page). Such a figure floats across the page too (still at the column
-- width it was drawn for), in its place among the page floats.
local function with_page_float_neighbours(blocks)
  local k = 1
  while k <= #blocks do
    local b = blocks[k]
    if b.t == "RawBlock" and b.text == "#qw-column-figure[" then
      local e = k + 1
      while e <= #blocks and not (blocks[e].t == "RawBlock" and blocks[e].text == FIGURE_END) do
        e = e + 1
      end
      local nxt = blocks[e + 1]
      local before = blocks[k - 1]
      local wide_next = nxt and nxt.t == "RawBlock" and nxt.text == "#qw-wide["
      local wide_before = before and before.t == "RawBlock" and before.text == WIDE_END
      if e <= #blocks and (wide_next or wide_before) then
        blocks[k] = raw("#qw-wide[")
        blocks[e] = raw(WIDE_END)
        for j = k + 1, e - 1 do
          blocks[j] = pandoc.walk_block(blocks[j], {
            RawInline = function(r)
              if r.format == "typst" and r.text:match("^#qw%-image%(") then
                r.text = r.text:gsub("width: 100%%", "width: " .. COLUMN_PT .. "pt", 1)
                return r
              end
            end,
          })
        end
      end
      k = e + 1
    else
      k = k + 1
    end
  end
  return blocks
end

function Blocks(blocks)
  local out = pandoc.Blocks({})
  local i = 1
  local after_table = false
  while i <= #blocks do
    local block = blocks[i]
    if is_region(block) then
      local region = pandoc.Blocks(block.content)
      -- a section heading (and a short lead-in) just before the table goes with it onto the
      -- one-column pages instead of being stranded at the foot of a column
      local lead = pandoc.Blocks({})
      local last = out[#out]
      if last and (last.t == "Para" or last.t == "Plain") and text_size(last) <= LEAD_IN
          and out[#out - 1] and out[#out - 1].t == "Header" and out[#out - 1].level > 1 then
        lead:insert(1, out:remove(#out))
        last = out[#out]
      end
      if last and last.t == "Header" and last.level > 1 then
        lead:insert(1, out:remove(#out))
      end
      lead:extend(region)
      region = lead
      i = i + 1
      while true do
        -- notes belong to the table they follow
        while i <= #blocks and starts_as_note(blocks[i]) do
          region:extend(wrap("#qw-table-notes", { blocks[i] }))
          i = i + 1
        end
        local j, budget = i, 0
        while j <= #blocks and not is_region(blocks[j]) do
          local b = blocks[j]
          if b.t == "Header" and b.level == 1 then
            break
          end
          budget = budget + text_size(b)
          if budget > MERGE_BUDGET then
            break
          end
          j = j + 1
        end
        if j <= #blocks and is_region(blocks[j]) and budget <= MERGE_BUDGET then
          for k = i, j - 1 do
            region:insert(blocks[k])
          end
          region:extend(blocks[j].content)
          i = j + 1
        else
          break
        end
      end
      out:extend(wrap("#qw-wide-page", region))
      after_table = false
    elseif after_table and starts_as_note(block) then
      local last = out[#out]
      if last.t == "RawBlock" and (last.text == WIDE_END or last.text == FIGURE_END) then
        -- the note floats with its table/figure instead of staying behind in the column
        out:remove(#out)
        out:extend(wrap("#qw-table-notes", { block }))
        out:insert(last)
      else
        out:extend(wrap("#qw-table-notes", { block }))
      end
      i = i + 1
    else
      out:insert(block)
      after_table = is_table_like(block)
      i = i + 1
    end
  end
  return with_page_float_neighbours(out)
end

-- First pass: a figure inside a `.column-page` / `.wide` Div (it floats with the Div) or
-- inside a callout box stays where it is instead of becoming a column float of its own.
local function mark_nested_figures(div)
  local wide = is_wide(div)
  if wide or div.classes:includes("callout") then
    return div:walk({
      Figure = function(f)
        f.attributes["qw-nested"] = wide and "wide" or "box"
        return f
      end,
    })
  end
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
  -- only the element types that carry an Attr: a catch-all Block/Inline walk would
  -- marshal every element of the book into Lua (a third of this filter's time)
  doc:walk({
    Header = note, Div = note, Figure = note, Table = note, CodeBlock = note,
    Span = note, Link = note, Image = note, Code = note,
  })
  return doc:walk({
    Link = function(link)
      local target = link.target:match("^#(.+)$")
      if target and not ids[target] and not panel_ids[target] then
        return link.content
      end
    end,
  })
end

-- Equations carry alt text so that the PDF can be tagged (PDF/UA-1 requires it): set
-- locally with `set math.equation(alt: ...)` around the one equation.
local EQ_OPEN = "#[#set math.equation(alt: "

local function equation_alt(math, alt)
  local text = (alt or math.text):gsub("%s*\\qquad%s*%(%d+[%.%d]*%)%s*$", "")
  text = text:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  return {
    pandoc.RawInline("typst", EQ_OPEN .. typst_string(text) .. "); "),
    math,
    pandoc.RawInline("typst", "]"),
  }
end

local function is_wrapped(prev)
  return prev and prev.t == "RawInline" and prev.text:sub(1, #EQ_OPEN) == EQ_OPEN
end

local function EquationSpan(el)
  if el.classes:includes("quarto-equation") and el.attributes["alt"] then
    local alt = el.attributes["alt"]
    el.content = el.content:walk({
      Math = function(math)
        return equation_alt(math, alt)
      end,
    })
    return el
  end
end

local function EquationInlines(inlines)
  -- most lists hold no equation: leave them as they are rather than copying every one
  local has_math = false
  for _, el in ipairs(inlines) do
    if el.t == "Math" then
      has_math = true
      break
    end
  end
  if not has_math then
    return nil
  end
  local out = pandoc.Inlines({})
  for _, el in ipairs(inlines) do
    if el.t == "Math" and not is_wrapped(out[#out]) then
      out:extend(equation_alt(el))
    else
      out:insert(el)
    end
  end
  return out
end

-- Quarto's cell wrappers (`div.cell`, `div.cell-output…`, execute/weave.py) only structure
-- the HTML: the PDF gets their content, so figures and tables float as before.
local function CellDiv(el)
  if el.classes:includes("cell") or el.classes:includes("cell-output") then
    return el.content
  end
end

-- Equations only where the book has any: the Inlines pass would otherwise hand every inline
-- list of the book to Lua just to find none.
local function Equations(doc)
  local found = false
  doc:walk({ Math = function() found = true end })
  if found then
    return doc:walk({ Span = EquationSpan }):walk({ Inlines = EquationInlines })
  end
end

-- One pass over the Divs: unwrap Quarto's cell wrappers, mark figures nested in wide Divs
-- and callouts (bottom-up, so the order of the two does not matter).
local function CellAndNestedDiv(el)
  local content = CellDiv(el)
  if content ~= nil then
    return content
  end
  return mark_nested_figures(el)
end

return {
  { Meta = caption_delimiter, Div = CellAndNestedDiv },
  { Pandoc = Equations },
  { Header = Header, Figure = Figure, Div = Div, Blocks = Blocks },
  { Pandoc = Pandoc },
}
